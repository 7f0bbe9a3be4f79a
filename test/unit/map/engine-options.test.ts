import { describe, it } from "vitest";
import { expectLoads, expectOne, web } from "../../helpers/map-problems.js";

/**
 * Values that validated and that the engine (or runc under it) then refused at create or start:
 * each was found by test/integration/engine-accepts.test.ts on the test engine (Docker 20.10,
 * runc 1.1) and is now refused while loading, at the line and column of the value, with a hint.
 * Each case also loads a neighbouring value the engine takes.
 */

const host = (body: string) => web(`  host_config:\n${body}`);

describe("host_config values the engine refused", () => {
  it('cpu_quota above the kernel\'s CFS maximum ("write cpu.cfs_quota_us: invalid argument")', () => {
    expectOne(host("    cpu_quota: 17592186044416\n"), "4:16", "at most 17592186044415");
    expectLoads(host("    cpu_quota: 17592186044415\n"));
  });

  it('pids_limit above the kernel\'s pid maximum ("write pids.max: invalid argument")', () => {
    expectOne(host("    pids_limit: 4194305\n"), "4:17", "at most 4194304");
    expectLoads(host("    pids_limit: 4194304\n"));
  });

  it('a size beyond 64 bits in shm_size or memswap_limit ("cannot unmarshal number … int64")', () => {
    expectOne(
      host('    shm_size: "9999999999999999t"\n'),
      "4:5",
      "shm_size is too large",
      "9007199254740991",
    );
    expectOne(
      host('    mem_limit: 6m\n    memswap_limit: "9999999999999999t"\n'),
      "4:5",
      "memswap_limit is too large",
    );
    expectLoads(host("    shm_size: 9007199254740991\n"));
  });

  it('capabilities Docker 20.10 does not know ("unknown capability: CAP_BPF")', () => {
    for (const name of ["BPF", "PERFMON", "CHECKPOINT_RESTORE"])
      expectOne(host(`    cap_add: [${name}]\n`), "4:5", `unknown capability \`${name}\``);
    expectLoads(host("    cap_add: [AUDIT_READ, cap_net_admin]\n    cap_drop: ALL\n"));
  });

  it('device entries that are not /dev/HOST[:/dev/CONTAINER[:rwm]] ("error gathering device information")', () => {
    expectOne(host("    devices: dev/null\n"), "4:14", "host path `dev/null` is not absolute", "/dev/HOST");
    expectOne(host("    devices: [/dev/null:rw]\n"), "4:14", "container path `rw` is not absolute");
    expectOne(host("    devices: [/dev/null:/dev/x:q]\n"), "4:14", "permissions `q`");
    expectOne(host("    devices: [/dev/null:/dev/x:rwm:z]\n"), "4:14", "more than three");
    expectLoads(host("    devices: [/dev/null, /dev/null:/dev/xnull:r, /dev/zero:/dev/z:rwm]\n"));
  });

  it('log options the json-file and local drivers refuse ("unknown log opt", "invalid size")', () => {
    const log = (type: string, config: string) =>
      host(`    log_config:\n      type: ${type}\n      config: {${config}}\n`);
    expectOne(log("json-file", "foo: bar"), "5:7", "no option `foo`", "logging driver");
    expectOne(log("local", "tag: x"), "5:7", "no option `tag`");
    expectOne(log("json-file", "max-size: huge"), "5:7", "max-size `huge`");
    expectOne(log("json-file", 'max-size: "-1"'), "5:7", "max-size `-1`");
    expectOne(log("json-file", 'max-file: "0"'), "5:7", "max-file `0`");
    expectOne(log("json-file", "compress: maybe"), "5:7", "compress `maybe`");
    expectOne(log("json-file", 'compress: "true", max-size: 1m'), "5:7", "compress needs");
    expectLoads(log("json-file", 'max-size: 1g, max-file: "3", compress: "true", tag: t, labels: a'));
    expectLoads(log("local", 'max-size: 1m, max-file: "2", compress: "false"'));
    expectLoads(log("berth-plugin", "anything: goes"));
  });

  it('tmpfs options the engine or the kernel refuse ("invalid tmpfs option", "mount … invalid argument")', () => {
    expectOne(host("    tmpfs: {/run: bogus}\n"), "4:12", "unknown tmpfs option `bogus`", "size=");
    expectOne(host("    tmpfs: /run:size=huge\n"), "4:12", "`size=huge` has an invalid value");
    expectOne(host("    tmpfs: /run:mode=999\n"), "4:12", "`mode=999`");
    expectOne(host("    tmpfs: [/run:tmpcopyup]\n"), "4:12", "`tmpcopyup`");
    expectOne(host("    tmpfs: /\n"), "4:12", "cannot be mounted on `/`");
    expectLoads(
      host('    tmpfs: {/a: "size=10%,mode=0700,uid=1,gid=2,nr_inodes=10k,noexec,nosuid", /b: ""}\n'),
    );
  });

  it('sysctls a container cannot set ("not in a separate kernel namespace", "not allowed in host network namespace")', () => {
    expectOne(
      host("    sysctls: {vm.swappiness: 10}\n"),
      "4:14",
      "`vm.swappiness` is not namespaced",
      "net.*",
    );
    expectOne(host("    sysctls: {kernel.hostname: x}\n"), "4:14", "conflicts with the container's hostname");
    expectOne(
      web("  network_mode: host\n  host_config:\n    sysctls: {net.core.somaxconn: 1}\n"),
      "5:14",
      "host's network",
    );
    expectOne(host("    ipc_mode: host\n    sysctls: {kernel.shmmax: 1}\n"), "5:14", "host's IPC namespace");
    expectLoads(
      host(
        "    sysctls: {net.core.somaxconn: 1024, kernel.sem: 250 32000 32 128, fs.mqueue.msg_max: 10, kernel.domainname: x}\n",
      ),
    );
  });

  it('a seccomp file name (the engine takes the profile JSON: "Decoding seccomp profile failed")', () => {
    expectOne(
      host("    security_opt: seccomp=/etc/profile.json\n"),
      "4:19",
      "not a file name",
      "seccomp=unconfined",
    );
    expectLoads(
      host('    security_opt: [seccomp=unconfined, \'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}\']\n'),
    );
  });

  it("Windows isolation on a Linux engine (\"linux only supports 'default'\")", () => {
    expectOne(host("    isolation: hyperv\n"), "4:16", "Windows", "only `default`");
    expectLoads(host("    isolation: default\n"));
  });

  it('a cpuset range that runs backwards ("Invalid value 1-0 for cpuset cpus")', () => {
    expectOne(host('    cpuset_cpus: "1-0"\n'), "4:18", "`1-0` runs backwards");
    expectLoads(host('    cpuset_cpus: "0,0-1"\n'));
  });
});

describe("container values the engine refused", () => {
  it('a multicast or all-zero MAC address ("cannot assign requested address" at start)', () => {
    expectOne(
      web('  create_options:\n    mac_address: "01:00:5e:00:00:01"\n'),
      "4:5",
      "multicast",
      "unicast",
    );
    expectOne(web('  create_options:\n    mac_address: "00:00:00:00:00:00"\n'), "4:5", "all-zero");
    expectLoads(web('  create_options:\n    mac_address: "02-42-AC-11-00-0A"\n'));
  });

  it('a working_dir part longer than 255 characters ("file name too long" at create)', () => {
    expectOne(web(`  working_dir: /${"a".repeat(256)}\n`), "3:16", "256 characters long");
    expectLoads(web(`  working_dir: /${"a".repeat(255)}/b\n`));
  });

  it('endpoint addresses the engine refuses ("invalid IPv6 address", "user configured subnets")', () => {
    const on = (endpoint: string, definition = "null") =>
      `networks: {n0: ${definition}}\n${web(`  networks: {n0: {${endpoint}}}\n`)}`;
    expectOne(on("ipv6_address: garbage"), "4:14", "`garbage` on `n0` is not an IPv6 address");
    expectOne(on("link_local_ips: [garbage]"), "4:14", "`garbage` on `n0` is not an IP address");
    expectOne(on("ipv4_address: 10.77.0.5"), "4:14", "gives no subnet", "ipam");
    expectLoads(
      on("ipv4_address: 10.77.0.5", "{create_options: {ipam: {config: [{subnet: 10.77.0.0/16}]}}}"),
    );
  });
});

describe("combinations the engine ignored silently (the plan never converged)", () => {
  it("create_options.network_disabled with networks (the container joined none of them)", () => {
    const text = `networks: {n0: null}\n${web("  create_options: {network_disabled: true}\n  networks: [n0]\n")}`;
    expectOne(text, "4:19", "network_disabled cannot go with `networks`", "remove `networks`");
    expectLoads(web("  create_options: {network_disabled: true}\n"));
  });
});

describe("volume and network options the engine refused at create", () => {
  it('local volume options ("invalid option", "missing required option: device")', () => {
    const volume = (options: string) =>
      `volumes:\n  v:\n    default_path: /data\n    driver_options: {${options}}\n${web("  attaches: v\n")}`;
    expectOne(volume("foo: bar"), "3:5", "no option `foo`", "`type`, `device`");
    expectOne(volume("o: size=1m"), "3:5", "`o` needs `device`");
    expectLoads(volume("type: tmpfs, device: tmpfs, o: size=1m"));
  });

  it('bridge options and ipam addresses ("numerical result out of range", "invalid CIDR address")', () => {
    const network = (definition: string) => `networks:\n  n0: ${definition}\n${web("  networks: n0\n")}`;
    expectOne(
      network('{driver_options: {"com.docker.network.bridge.name": berth-too-long-name}}'),
      "2:7",
      "longer than 15",
    );
    expectOne(network('{driver_options: {"com.docker.network.driver.mtu": abc}}'), "2:7", "MTU `abc`");
    expectOne(network("{create_options: {ipam: {config: [{subnet: nope}]}}}"), "2:7", "subnet `nope`");
    // A key the engine does not read is dropped without a word: refused here instead.
    expectOne(
      network("{create_options: {ipam: {config: [{subnet: 10.9.0.0/16, ip-range: 10.9.1.0/24}]}}}"),
      "2:7",
      "ipam key `config: ip-range` is not one the engine reads",
    );
    expectOne(network("{create_options: {ipam: {drivers: default}}}"), "2:7", "ipam key `drivers`");
    expectOne(
      network("{create_options: {ipam: {config: [{subnet: 10.9.0.0/16, ip_range: 10.9.300.0/24}]}}}"),
      "2:7",
      "ip_range `10.9.300.0/24`",
    );
    expectLoads(
      network(
        "{create_options: {ipam: {config: [{subnet: 10.9.0.0/16, ip_range: 10.9.1.0/24, gateway: 10.9.0.1, aux_addresses: {h: 10.9.0.2}}]}}}",
      ),
    );
    expectLoads(
      network(
        '{driver_options: {"com.docker.network.bridge.name": br-berth0, "com.docker.network.driver.mtu": 1400}, create_options: {ipam: {Config: [{Subnet: 10.9.0.0/16, Gateway: 10.9.0.1}]}}}',
      ),
    );
  });
});
