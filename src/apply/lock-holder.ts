import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";

/**
 * Who holds a lock, precisely enough to tell from the same machine whether that process is still
 * alive. A pid alone is not enough: after a reboot, or in another pid namespace (a container
 * that shares the host's name), the same number names another process, and pids are reused. So
 * the lock also records the kernel's boot id, the pid namespace and the process's start time
 * (clock ticks since boot, from /proc): a holder is known to be gone only when host, boot and
 * namespace are ours and that pid is absent or started at another time.
 */
export interface HolderIdentity {
  host: string;
  pid: number;
  /** /proc/sys/kernel/random/boot_id; empty where there is none (not Linux). */
  boot: string;
  /** The pid namespace (`pid:[4026531836]`); empty where unknown. */
  pidNamespace: string;
  /** Start time of the process in clock ticks since boot; empty where unknown. */
  start: string;
}

export const HOLDER_LABEL = {
  host: "berth.lock.host",
  pid: "berth.lock.pid",
  boot: "berth.lock.boot",
  pidNamespace: "berth.lock.pidns",
  start: "berth.lock.start",
} as const;

export function thisProcess(): HolderIdentity {
  return {
    host: hostname(),
    pid: process.pid,
    boot: readOr("/proc/sys/kernel/random/boot_id", "").trim(),
    pidNamespace: linkOr("/proc/self/ns/pid", ""),
    start: processStartTime(process.pid) ?? "",
  };
}

export function holderLabels(identity: HolderIdentity): Record<string, string> {
  return {
    [HOLDER_LABEL.host]: identity.host,
    [HOLDER_LABEL.pid]: String(identity.pid),
    [HOLDER_LABEL.boot]: identity.boot,
    [HOLDER_LABEL.pidNamespace]: identity.pidNamespace,
    [HOLDER_LABEL.start]: identity.start,
  };
}

/** How to look at a process of this machine (injected by tests). */
export interface ProcessProbe {
  exists(pid: number): boolean;
  /** Undefined when the start time cannot be read. */
  startTime(pid: number): string | undefined;
}

export const systemProbe: ProcessProbe = { exists: processExists, startTime: processStartTime };

/**
 * Whether the process that wrote these lock labels is known to be gone. Only a holder on this
 * very machine and pid namespace can be judged here; anything else is `false` (the lease decides).
 * Locks made before the boot and namespace labels existed are judged by host and pid, as before.
 */
export function holderIsGone(
  labels: Readonly<Record<string, string>>,
  self: HolderIdentity,
  probe: ProcessProbe = systemProbe,
): boolean {
  if (labels[HOLDER_LABEL.host] !== self.host) return false;
  const boot = labels[HOLDER_LABEL.boot];
  const namespace = labels[HOLDER_LABEL.pidNamespace];
  if (boot !== undefined && (boot === "" || boot !== self.boot)) return false;
  if (namespace !== undefined && (namespace === "" || namespace !== self.pidNamespace)) return false;
  const pid = Number(labels[HOLDER_LABEL.pid]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === self.pid) return false;
  if (!probe.exists(pid)) return true;
  const start = labels[HOLDER_LABEL.start];
  if (start === undefined || start === "") return false;
  const now = probe.startTime(pid);
  // The pid was given to another process since the lock was taken.
  return now !== undefined && now !== start;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Field 22 of /proc/PID/stat (after the command name, which may hold spaces and parentheses). */
export function processStartTime(pid: number): string | undefined {
  const stat = readOr(`/proc/${pid}/stat`, "");
  const afterName = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // afterName[0] is field 3 (state), so field 22 is at index 19.
  const start = afterName[19];
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return fallback;
  }
}

function linkOr(path: string, fallback: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return fallback;
  }
}
