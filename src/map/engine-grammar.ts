import { isIP } from "node:net";
import { mapSchemaDocument } from "./schema-validation.js";

/**
 * What the Docker engine accepts for values the schema cannot judge alone (the image a config
 * name becomes, numbers inside strings, names the engine looks up in its own tables). Each was
 * checked against the test engine (API 1.41); see test/unit/map/engine-grammar.test.ts.
 */

/** The schema's image reference pattern (distribution's grammar): one definition for both. */
let imagePattern: RegExp | undefined;

/** Longest repository name (registry and path, without tag or digest) the engine takes. */
const MAX_IMAGE_NAME = 255;

/** Why an image reference is refused, or undefined when it is valid. */
export function imageProblem(image: string): string | undefined {
  const defs = mapSchemaDocument().$defs as Record<string, { pattern: string }>;
  imagePattern ??= new RegExp(defs.imageReference?.pattern as string, "u");
  if (!imagePattern.test(image)) {
    return /[A-Z]/.test(repositoryPath(image))
      ? "a repository name must be lower case"
      : "not an image reference (`name[:tag]`, `registry/path/name[:tag]` or `name@digest`)";
  }
  const name = repositoryName(image);
  if (name.length > MAX_IMAGE_NAME) return `the repository name is longer than ${MAX_IMAGE_NAME} characters`;
  return undefined;
}

/** The name part of a reference: without `@digest` and `:tag` (a `:` before the last `/` is a port). */
function repositoryName(image: string): string {
  const withoutDigest = image.split("@")[0] as string;
  const colon = withoutDigest.lastIndexOf(":");
  return colon > withoutDigest.lastIndexOf("/") ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** The path after a registry (a first part with `.` or `:`, or `localhost`). */
function repositoryPath(image: string): string {
  const name = repositoryName(image);
  const slash = name.indexOf("/");
  const first = name.slice(0, Math.max(slash, 0));
  return slash > 0 && (/[.:]/.test(first) || first === "localhost") ? name.slice(slash + 1) : name;
}

/** Highest uid or gid the engine's runtime takes ("uids and gids must be in range 0-2147483647"). */
export const MAX_ID = 2147483647;

/** A numeric uid or gid out of range in `user`, `uid:gid` or a group, if any. */
export function idOutOfRange(user: string): string | undefined {
  return user.split(":").find((part) => /^[0-9]+$/.test(part) && Number(part) > MAX_ID);
}

const SIGNALS = new Set([
  ..."ABRT ALRM BUS CHLD CLD CONT FPE HUP ILL INT IO IOT KILL PIPE POLL PROF PWR QUIT SEGV STKFLT".split(" "),
  ..."STOP SYS TERM TRAP TSTP TTIN TTOU URG USR1 USR2 VTALRM WINCH XCPU XFSZ RTMIN RTMAX".split(" "),
  ...Array.from({ length: 15 }, (_, i) => `RTMIN+${i + 1}`),
  ...Array.from({ length: 14 }, (_, i) => `RTMAX-${i + 1}`),
]);

/** Whether the engine knows a stop signal: a Linux signal name (any case, `SIG` optional) or 1–64. */
export function isSignal(signal: string): boolean {
  if (/^[0-9]+$/.test(signal)) return Number(signal) >= 1 && Number(signal) <= 64;
  return SIGNALS.has(signal.toUpperCase().replace(/^SIG/, ""));
}

/**
 * Linux capabilities, as the engine names them (it refuses others: "unknown capability"). Docker
 * 20.10 (API 1.41) does not know PERFMON, BPF or CHECKPOINT_RESTORE (newer kernels' names).
 */
const CAPABILITIES = new Set(
  [
    "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE",
    "NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO",
    "SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG",
    "MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM",
    "BLOCK_SUSPEND AUDIT_READ",
  ]
    .join(" ")
    .split(" "),
);

/** Whether a capability name is known: `NET_ADMIN`, `cap_net_admin`, `ALL`. */
export function isCapability(name: string): boolean {
  const upper = name.toUpperCase();
  return upper === "ALL" || CAPABILITIES.has(upper.replace(/^CAP_/, ""));
}

/** Whether an `extra_hosts` entry `host:address` has an address the engine takes. */
export function isExtraHost(entry: string): boolean {
  const colon = entry.indexOf(":");
  if (colon <= 0) return false;
  const address = entry.slice(colon + 1);
  return address === "host-gateway" || isIP(address) !== 0;
}

/** The engine's smallest memory limit and reservation ("Minimum memory limit allowed is 6MB"). */
export const MIN_MEMORY = 6 * 1024 * 1024;

/** Longest hostname (HOST_NAME_MAX): a longer one fails at start ("sethostname: invalid argument"). */
export const MAX_HOSTNAME = 64;

/** The longest duration a map may give (stop timeout, start delay, health checks, exec timeouts). */
export const MAX_DURATION_NS = 24 * 3600 * 1e9;

/** The shortest health-check duration the engine takes, besides 0 (its default). */
export const MIN_HEALTH_DURATION_NS = 1e6;
