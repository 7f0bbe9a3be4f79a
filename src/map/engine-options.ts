import { IPAM_KEYS, ipamForEngine, unknownIpamKey } from "./ipam.js";
import { isIP } from "node:net";

/**
 * The grammar of option values the engine (or runc under it) parses itself: devices, log options,
 * tmpfs options, sysctls, MAC addresses, seccomp, volume and network driver options. The schema
 * takes them as plain strings; each function says why the engine would refuse a value (at create
 * or at start, after other containers changed), or undefined. Each refusal was seen on the test
 * engine (Docker 20.10, runc 1.1) by test/integration/engine-accepts.test.ts.
 */

/** `/dev/HOST[:/dev/CONTAINER[:PERMISSIONS]]` ("error gathering device information"). */
export function deviceProblem(entry: string): string | undefined {
  const [host = "", container, permissions, ...rest] = entry.split(":");
  if (rest.length > 0) return "has more than three `:`-separated parts";
  if (!host.startsWith("/")) return `the host path \`${host}\` is not absolute`;
  if (container !== undefined && !container.startsWith("/"))
    return `the container path \`${container}\` is not absolute (berth reads the second part as the container path)`;
  if (permissions !== undefined && !/^(?!.*(.).*\1)[rwm]{1,3}$/.test(permissions))
    return `the permissions \`${permissions}\` are not made of r, w and m`;
  return undefined;
}

/** Log options the engine's own drivers take (a plugin's are its own business). */
const LOG_OPTIONS: Record<string, readonly string[]> = {
  "json-file": ["max-size", "max-file", "compress", "labels", "labels-regex", "env", "env-regex", "tag"],
  local: ["max-size", "max-file", "compress"],
  none: [],
};

/** A size as the engine's log drivers read it (`10m`, `1g`, `512k`, `100`). */
const LOG_SIZE = /^[0-9]+(\.[0-9]+)? ?[kKmMgGtTpP]?[iI]?[bB]?$/;
const BOOLEAN = /^(1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$/;

/** Why the engine's json-file, local or none driver would refuse these options. */
export function logConfigProblem(type: string, config: Readonly<Record<string, string>>): string | undefined {
  const known = LOG_OPTIONS[type];
  if (known === undefined) return undefined;
  const unknown = Object.keys(config).find((name) => !known.includes(name));
  if (unknown !== undefined && type !== "none")
    return `the ${type} log driver has no option \`${unknown}\` (it takes ${known.join(", ")})`;
  const size = config["max-size"];
  if (size !== undefined && (!LOG_SIZE.test(size) || Number.parseFloat(size) <= 0))
    return `max-size \`${size}\` is not a positive size like 10m`;
  const files = config["max-file"];
  if (files !== undefined && !(/^[0-9]+$/.test(files) && Number(files) >= 1))
    return `max-file \`${files}\` is not a whole number of at least 1`;
  const compress = config.compress;
  if (compress !== undefined && !BOOLEAN.test(compress))
    return `compress \`${compress}\` is not true or false`;
  // json-file keeps one file unless told more: there is nothing to compress.
  const compressed = compress !== undefined && /^(1|t|true)$/i.test(compress);
  if (type === "json-file" && compressed && (size === undefined || Number(files ?? 1) < 2))
    return "compress needs max-size and a max-file of at least 2";
  return undefined;
}

/** Mount flags the engine takes in tmpfs options. */
const TMPFS_FLAGS = new Set(
  [
    "defaults ro rw suid nosuid dev nodev exec noexec sync async dirsync remount mand nomand atime",
    "noatime diratime nodiratime bind rbind unbindable runbindable private rprivate shared rshared",
    "slave rslave relatime norelatime strictatime nostrictatime",
  ]
    .join(" ")
    .split(" "),
);

/** tmpfs's own `name=value` options, with the values the kernel parses. */
const TMPFS_VALUES: Record<string, RegExp> = {
  size: /^[0-9]+[kKmMgGtTpPeE%]?$/,
  nr_blocks: /^[0-9]+[kKmMgGtTpPeE]?$/,
  nr_inodes: /^[0-9]+[kKmMgGtTpPeE]?$/,
  mode: /^[0-7]{1,4}$/,
  uid: /^[0-9]+$/,
  gid: /^[0-9]+$/,
  mpol: /^.+$/,
};

/** Why a tmpfs mount (`path` and its comma-separated options) would be refused. */
export function tmpfsProblem(path: string, options: string): string | undefined {
  if (path.replace(/\/+$/, "") === "") return "a tmpfs cannot be mounted on `/`";
  for (const option of options.split(",")) {
    if (option === "" || TMPFS_FLAGS.has(option)) continue;
    const eq = option.indexOf("=");
    const pattern = eq < 0 ? undefined : TMPFS_VALUES[option.slice(0, eq)];
    if (pattern === undefined) return `unknown tmpfs option \`${option}\``;
    if (!pattern.test(option.slice(eq + 1))) return `tmpfs option \`${option}\` has an invalid value`;
  }
  return undefined;
}

/** Sysctls of the IPC namespace (runc refuses them with `ipc_mode: host`). */
const IPC_SYSCTLS = new Set(
  "kernel.msgmax kernel.msgmnb kernel.msgmni kernel.sem kernel.shmall kernel.shmmax kernel.shmmni kernel.shm_rmid_forced".split(
    " ",
  ),
);

/**
 * Why runc would refuse a sysctl: only namespaced ones can be set in a container (IPC ones,
 * `fs.mqueue.*`, `net.*` outside the host's network, `kernel.domainname`).
 */
export function sysctlProblem(
  name: string,
  modes: { hostNetwork: boolean; hostIpc: boolean },
): string | undefined {
  const key = name.replaceAll("/", ".");
  const ipc = IPC_SYSCTLS.has(key) || key.startsWith("fs.mqueue.");
  if (ipc)
    return modes.hostIpc
      ? `sysctl \`${name}\` cannot be set in the host's IPC namespace (ipc_mode: host)`
      : undefined;
  if (key.startsWith("net."))
    return modes.hostNetwork
      ? `sysctl \`${name}\` cannot be set on the host's network (network_mode: host)`
      : undefined;
  if (key === "kernel.domainname") return undefined;
  if (key === "kernel.hostname") return "sysctl `kernel.hostname` conflicts with the container's hostname";
  return `sysctl \`${name}\` is not namespaced: a container cannot set it`;
}

/** Why the kernel would refuse a container MAC address: multicast or all zeros. */
export function macProblem(mac: string): string | undefined {
  const hex = mac.replace(/[^0-9A-Fa-f]/g, "");
  if (hex.length !== 12) return undefined; // the schema checks the form
  if (/^0+$/.test(hex)) return "the all-zero MAC address cannot be given to an interface";
  if ((Number.parseInt(hex.slice(0, 2), 16) & 1) === 1)
    return "a multicast MAC address (odd first byte) cannot be given to an interface";
  return undefined;
}

/** `seccomp=<value>`: the engine takes `unconfined` or a profile's JSON, never a file path. */
export function seccompProblem(option: string): string | undefined {
  const match = /^seccomp[=:](.*)$/s.exec(option);
  if (match === null) return undefined;
  const value = (match[1] as string).trim();
  return value === "unconfined" || value.startsWith("{")
    ? undefined
    : `\`${option}\`: the engine takes the profile's JSON text, not a file name`;
}

/** Options of the `local` volume driver, and the ones each needs ("missing required option"). */
const LOCAL_VOLUME_OPTIONS: Record<string, readonly string[]> = {
  type: ["device"],
  device: ["type"],
  o: ["device", "type"],
  size: [],
};

export function localVolumeProblem(options: Readonly<Record<string, string>>): string | undefined {
  for (const name of Object.keys(options)) {
    const needs = LOCAL_VOLUME_OPTIONS[name];
    if (needs === undefined) return `the local driver has no option \`${name}\` (it takes type, device, o)`;
    const missing = needs.find((other) => options[other] === undefined);
    if (missing !== undefined) return `the local driver's option \`${name}\` needs \`${missing}\` too`;
  }
  return undefined;
}

/** Longest interface name (IFNAMSIZ - 1). */
const MAX_INTERFACE_NAME = 15;

/** Options of the bridge driver the engine parses itself. */
export function bridgeNetworkProblem(options: Readonly<Record<string, string>>): string | undefined {
  const name = options["com.docker.network.bridge.name"];
  if (name !== undefined && name.length > MAX_INTERFACE_NAME)
    return `the bridge name \`${name}\` is longer than ${MAX_INTERFACE_NAME} characters (a Linux interface name)`;
  const mtu = options["com.docker.network.driver.mtu"];
  if (mtu !== undefined && !/^[0-9]+$/.test(mtu)) return `the MTU \`${mtu}\` is not a whole number`;
  return undefined;
}

/** The `ipam.config` entries, in the engine's keys (see ipam.ts). */
function ipamEntries(ipam: unknown): Record<string, unknown>[] {
  if (typeof ipam !== "object" || ipam === null) return [];
  const config = ipamForEngine(ipam).Config;
  return Array.isArray(config) ? (config as Record<string, unknown>[]) : [];
}

/** Keys the engine would drop, and subnets, ranges and gateways of an `ipam` mapping that are no address. */
export function ipamProblem(ipam: unknown): string | undefined {
  const unknown = unknownIpamKey(ipam);
  if (unknown !== undefined)
    return `ipam key \`${unknown}\` is not one the engine reads (it would drop it): write ${IPAM_KEYS}`;
  for (const entry of ipamEntries(ipam)) {
    for (const key of ["Subnet", "IPRange"]) {
      const value = entry[key];
      if (typeof value === "string" && !isCidr(value))
        return `ipam ${key === "Subnet" ? "subnet" : "ip_range"} \`${value}\` is not an address/prefix`;
    }
    const gateway = entry.Gateway;
    if (typeof gateway === "string" && isIP(gateway) === 0)
      return `ipam gateway \`${gateway}\` is not an IP address`;
  }
  return undefined;
}

/** Whether an ipam mapping gives a subnet (the engine takes fixed endpoint addresses only then). */
export function ipamHasSubnet(ipam: unknown): boolean {
  return ipamEntries(ipam).some((entry) => typeof entry.Subnet === "string");
}

function isCidr(value: string): boolean {
  const [address = "", prefix, ...rest] = value.split("/");
  const family = isIP(address);
  if (family === 0 || prefix === undefined || rest.length > 0 || !/^[0-9]{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Longest file name in a path (NAME_MAX): a longer part fails at create ("file name too long"). */
export const MAX_NAME = 255;

/** Why a cpuset (`0-3,5`) cannot be parsed by the engine: a range that runs backwards. */
export function cpusetProblem(cpuset: string): string | undefined {
  for (const part of cpuset.split(",")) {
    const [low, high] = part.split("-").map(Number);
    if (low !== undefined && low > Number.MAX_SAFE_INTEGER) return `\`${part}\` is too large`;
    if (low !== undefined && high !== undefined && high < low) return `the range \`${part}\` runs backwards`;
  }
  return undefined;
}
