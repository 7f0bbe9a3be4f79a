/**
 * Edge values of every map key berth passes to Docker, for the "a map that validates must run"
 * property (test/integration/engine-accepts.test.ts, test/chaos/engine-accepts.test.ts): the
 * smallest and largest value the schema allows, each written form, each enumerated value. Each
 * entry is a config fragment (merged into one config) that berth's loader accepts; the engine
 * must then create and start the container, and the next plan must be empty.
 *
 * Left out, because what they need is the machine's, not the map's (the engine's own error names
 * them, and berth reports it with the host, object and step): `privileged` and `cap_add: ALL`
 * (the test engine runs without every capability), `oom_score_adj` below the daemon's own and
 * ulimits above the daemon's hard limits ("operation not permitted"), CPUs and memory nodes the
 * machine lacks, devices missing on the host, user and group names missing from the image,
 * logging, volume and network drivers that are plugins, runtimes the engine lacks, and
 * `ipc_mode`/`pid_mode: container:` naming a container outside the map.
 */
import { FIXTURE_IMAGES } from "./engine.js";

export type Fragment = Record<string, unknown>;

const hc = (host_config: Fragment): Fragment => ({ host_config });
const co = (create_options: Fragment): Fragment => ({ create_options });

/** Edge values per key: `host_config.<key>`, `create_options.<key>` or a container key. */
export function edgeValues(hostPort: number, subnet: string): Record<string, Fragment[]> {
  return {
    // ---- host_config ------------------------------------------------------------------------
    "host_config.restart_policy": [
      hc({ restart_policy: { Name: "always", MaximumRetryCount: 3 } }),
      hc({ restart_policy: { name: "on-failure", maximum_retry_count: 2147483647 } }),
      hc({ restart_policy: "unless-stopped" }),
    ],
    "host_config.mem_limit": [
      hc({ mem_limit: "6m" }),
      hc({ mem_limit: 9007199254740991 }),
      hc({ mem_limit: "1.5GiB" }),
    ],
    "host_config.memswap_limit": [
      hc({ mem_limit: "6m", memswap_limit: -1 }),
      hc({ mem_limit: "8m", memswap_limit: "8m" }),
      hc({ mem_limit: "6m", memswap_limit: 9007199254740991 }),
    ],
    "host_config.mem_reservation": [
      hc({ mem_reservation: "6m" }),
      hc({ mem_limit: "8m", mem_reservation: "8m" }),
    ],
    "host_config.cpu_shares": [hc({ cpu_shares: 0 }), hc({ cpu_shares: 2 }), hc({ cpu_shares: 262144 })],
    "host_config.cpu_period": [hc({ cpu_period: 1000 }), hc({ cpu_period: 1000000, cpu_quota: 1000 })],
    "host_config.cpu_quota": [
      hc({ cpu_quota: -1 }),
      hc({ cpu_quota: 1000 }),
      hc({ cpu_quota: 17592186044415 }),
    ],
    "host_config.cpuset_cpus": [
      hc({ cpuset_cpus: "" }),
      hc({ cpuset_cpus: "0" }),
      hc({ cpuset_cpus: "0,0-0" }),
    ],
    "host_config.cpuset_mems": [hc({ cpuset_mems: "0" }), hc({ cpuset_mems: "0-0" })],
    "host_config.blkio_weight": [
      hc({ blkio_weight: 0 }),
      hc({ blkio_weight: 10 }),
      hc({ blkio_weight: 1000 }),
    ],
    // The fixture's shell forks its sleep: 2 processes is the least it runs with (1 is valid, and exits).
    "host_config.pids_limit": [
      hc({ pids_limit: -1 }),
      hc({ pids_limit: 0 }),
      hc({ pids_limit: 2 }),
      hc({ pids_limit: 4194304 }),
    ],
    "host_config.privileged": [hc({ privileged: false })],
    "host_config.cap_add": [
      hc({ cap_add: "NET_ADMIN" }),
      hc({ cap_add: ["cap_sys_time", "AUDIT_READ", "WAKE_ALARM"] }),
    ],
    "host_config.cap_drop": [hc({ cap_drop: "ALL" }), hc({ cap_drop: ["MKNOD", "cap_chown"] })],
    "host_config.dns": [hc({ dns: "10.0.0.2" }), hc({ dns: ["::1", "not-an-ip"] })],
    "host_config.dns_search": [hc({ dns_search: "example.org" }), hc({ dns_search: [".", "a.b"] })],
    "host_config.dns_opt": [hc({ dns_opt: "ndots:2" }), hc({ dns_opt: ["use-vc", "what ever"] })],
    "host_config.extra_hosts": [
      hc({ extra_hosts: ["a:10.0.0.1", "b:::1", "c:host-gateway"] }),
      hc({ extra_hosts: { a: "10.0.0.1", "b b": "::1" } }),
    ],
    "host_config.devices": [
      hc({ devices: "/dev/null" }),
      hc({ devices: ["/dev/null:/dev/xnull:r", "/dev/zero:/dev/z:rwm"] }),
    ],
    "host_config.log_config": [
      hc({ log_config: {} }),
      hc({ log_config: { type: "none" } }),
      hc({ log_config: { type: "none", config: { "max-size": "1m" } } }),
      hc({ log_config: { Type: "json-file", Config: { "max-size": "1k" } } }),
      hc({ log_config: { config: { "max-size": "1m" } } }),
      hc({
        log_config: {
          type: "json-file",
          config: {
            "max-size": "1g",
            "max-file": "2",
            compress: "true",
            labels: "a",
            env: "B",
            "env-regex": "^x",
            tag: "t",
          },
        },
      }),
      hc({ log_config: { type: "local", config: { "max-size": "1m", "max-file": "2", compress: "false" } } }),
    ],
    "host_config.tmpfs": [
      hc({ tmpfs: "/run" }),
      hc({ tmpfs: ["/run:size=1m,mode=1777", "/x:"] }),
      hc({
        tmpfs: {
          "/a": "size=10%,mode=0700,uid=1,gid=2,nr_inodes=10k,noexec,nosuid,nodev,ro",
          "/b": "size=65536",
        },
      }),
      hc({ tmpfs: "/run:noatime,strictatime,sync,dirsync,relatime,nodiratime,rprivate" }),
    ],
    "host_config.ulimits": [
      hc({ ulimits: [{ name: "core", soft: -1, hard: -1 }] }),
      hc({ ulimits: [{ name: "nproc", soft: 100 }] }),
      hc({
        ulimits: [
          { name: "NOFILE", soft: 64, hard: 128 },
          { name: "core", soft: 0, hard: 0 },
        ],
      }),
    ],
    "host_config.shm_size": [hc({ shm_size: 0 }), hc({ shm_size: 1 }), hc({ shm_size: 9007199254740991 })],
    "host_config.security_opt": [
      hc({ security_opt: ["no-new-privileges", "no-new-privileges:false"] }),
      hc({ security_opt: "label=disable" }),
      hc({ security_opt: "label:disable" }),
      hc({ security_opt: ["seccomp=unconfined", "apparmor=unconfined"] }),
      hc({ security_opt: 'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}' }),
    ],
    "host_config.sysctls": [
      hc({ sysctls: { "net.core.somaxconn": 1024 } }),
      hc({
        sysctls: { "fs.mqueue.msg_max": "10", "kernel.sem": "250 32000 32 128", "kernel.shm_rmid_forced": 1 },
      }),
      hc({ sysctls: { "net/ipv4/ip_forward": "1", "kernel.domainname": "x" } }),
    ],
    "host_config.read_only": [hc({ read_only: true })],
    "host_config.init": [hc({ init: true })],
    "host_config.ipc_mode": ["", "none", "private", "shareable", "host"].map((ipc_mode) => hc({ ipc_mode })),
    "host_config.pid_mode": [hc({ pid_mode: "" }), hc({ pid_mode: "host" })],
    "host_config.oom_kill_disable": [hc({ oom_kill_disable: true })],
    "host_config.oom_score_adj": [hc({ oom_score_adj: 1000 }), hc({ oom_score_adj: 0 })],
    "host_config.group_add": [hc({ group_add: [0, 2147483647, "1000"] })],
    "host_config.userns_mode": [hc({ userns_mode: "" }), hc({ userns_mode: "host" })],
    "host_config.publish_all_ports": [{ exposes: [8080], host_config: { publish_all_ports: true } }],
    "host_config.cgroup_parent": [hc({ cgroup_parent: "/berth-accepts" }), hc({ cgroup_parent: "" })],
    "host_config.runtime": [hc({ runtime: "runc" })],
    "host_config.isolation": [hc({ isolation: "" }), hc({ isolation: "default" })],
    // ---- create_options ---------------------------------------------------------------------
    "create_options.environment": [co({ environment: { A: "1" } })],
    "create_options.command": [co({ command: ["sleep", "3600"] })],
    "create_options.entrypoint": [co({ entrypoint: [] })],
    "create_options.labels": [co({ labels: ["a", "b="] })],
    "create_options.working_dir": [co({ working_dir: "/" })],
    "create_options.hostname": [co({ hostname: "h".repeat(64) })],
    "create_options.domainname": [co({ domainname: "d".repeat(300) })],
    "create_options.user": [co({ user: "0:0" })],
    "create_options.stop_signal": [co({ stop_signal: 64 }), co({ stop_signal: "sigusr2" })],
    "create_options.stop_timeout": [co({ stop_timeout: 86400 })],
    "create_options.healthcheck": [co({ healthcheck: "NONE" })],
    "create_options.mem_limit": [co({ mem_limit: "6m" })],
    "create_options.memswap_limit": [co({ mem_limit: "6m", memswap_limit: -1 })],
    "create_options.cpu_shares": [co({ cpu_shares: 262144 })],
    "create_options.cpuset": [co({ cpuset: "0" })],
    "create_options.tty": [co({ tty: true, stdin_open: true })],
    "create_options.stdin_open": [co({ stdin_open: true })],
    "create_options.mac_address": [
      co({ mac_address: "02:42:ac:11:00:09" }),
      co({ mac_address: "02-42-AC-11-00-0A" }),
      co({ mac_address: "0242.ac11.000b" }),
      co({ mac_address: "" }),
    ],
    "create_options.network_disabled": [co({ network_disabled: true })],
    "create_options.runtime": [co({ runtime: "runc" })],
    // ---- container keys ---------------------------------------------------------------------
    user: [{ user: 2147483647 }, { user: [1000, 2147483647] }, { user: "0:0" }],
    hostname: [{ hostname: "h".repeat(64) }, { hostname: "bad host!_x" }, { hostname: "" }],
    domainname: [{ domainname: "d".repeat(65) }, { domainname: "" }],
    working_dir: [{ working_dir: "/" }, { working_dir: "/a b/../c" }, { working_dir: `/${"a".repeat(255)}` }],
    stop_signal: [
      { stop_signal: "SIGRTMIN+15" },
      { stop_signal: "rtmax-14" },
      { stop_signal: 64 },
      { stop_signal: "sigusr1" },
    ],
    stop_timeout: [
      { stop_timeout: 0 },
      { stop_timeout: 86400 },
      { stop_timeout: 0.5 },
      { stop_timeout: "1ms" },
    ],
    start_delay: [{ start_delay: "1ms" }],
    healthcheck: [
      {
        healthcheck: {
          test: ["CMD", "true"],
          interval: "1ms",
          timeout: "1ms",
          start_period: "1ms",
          retries: 2147483647,
        },
      },
      { healthcheck: ["true", "24h", "24h", 0, "24h"] },
      { healthcheck: { test: "true", interval: 0, timeout: 0, retries: 0, start_period: 0 } },
      { healthcheck: "NONE" },
      { healthcheck: { disable: true } },
      { healthcheck: { test: ["CMD"] } },
    ],
    restart: [
      { restart: "always" },
      { restart: "on-failure:0" },
      { restart: "on-failure:999999999" },
      { restart: { name: "", maximum_retry_count: 5 } },
      { restart: { Name: "unless-stopped", MaximumRetryCount: 2 } },
    ],
    environment: [
      { environment: { "A B": "x", "1X": "", é: "ü", Y: true, Z: 1.5 } },
      { environment: ["B=", "C=d=e"] },
    ],
    labels: [
      { labels: { " a": "", "b c": null, d: 1 } },
      { labels: { ["l".repeat(1000)]: "v".repeat(10000) } },
    ],
    command: [{ command: "" }, { command: ["sleep", "3600"] }],
    entrypoint: [{ entrypoint: [] }],
    exposes: [
      { exposes: ["65535/udp", 1, "80/sctp"] },
      { exposes: [[8080, hostPort]] },
      { exposes: [{ exposed_port: 81, host_port: null }] },
    ],
    shares: [{ shares: ["/data", "/data2/"] }],
    network_mode: [
      { network_mode: "none" },
      { network_mode: "disabled" },
      { network_mode: "host" },
      { network_mode: "bridge" },
    ],
    networks: [
      { networks: ["n0"] },
      {
        networks: { n0: { ipv4_address: `${subnet}.5`, aliases: ["a b"], link_local_ips: ["169.254.1.1"] } },
      },
    ],
    attaches: [{ attaches: ["vtmp"] }, { attaches: ["vplain"] }],
    persistent: [{ persistent: true }],
  };
}

/**
 * The map-level objects the fragments name: network n0 (with a subnet `<subnet>.0/24` of its own,
 * for fixed addresses: maps on one engine cannot share one) and volumes vtmp (a local tmpfs
 * volume) and vplain.
 */
export const edgeObjects = (subnet: string): Fragment => ({
  networks: {
    n0: {
      driver_options: {
        "com.docker.network.driver.mtu": 1400,
        "com.docker.network.bridge.enable_icc": false,
      },
      create_options: { ipam: { Config: [{ Subnet: `${subnet}.0/24`, Gateway: `${subnet}.1` }] } },
    },
  },
  volumes: {
    vtmp: {
      default_path: "/vtmp",
      driver: "local",
      driver_options: { type: "tmpfs", device: "tmpfs", o: "size=1m" },
    },
    vplain: "/vplain",
  },
});

/** The image of every config (its command is a long sleep). */
export const EDGE_IMAGE = FIXTURE_IMAGES.base1;

/** Merges config fragments: host_config and create_options key by key, the rest replaced. */
export function mergeFragments(fragments: readonly Fragment[]): Fragment {
  const out: Fragment = {};
  for (const fragment of fragments) {
    for (const [key, value] of Object.entries(fragment)) {
      out[key] =
        (key === "host_config" || key === "create_options") && typeof out[key] === "object"
          ? { ...(out[key] as Fragment), ...(value as Fragment) }
          : value;
    }
  }
  return out;
}
