import { hostname, userInfo } from "node:os";
import { systemClock, type Clock } from "../common/clock.js";
import type { EngineWriter } from "../engine/engine.js";
import { isEngineConflictError, isEngineError, isEngineNotFoundError } from "../engine/engine-errors.js";
import { LABEL } from "../model/labels.js";
import { LockError } from "./apply-errors.js";

/**
 * One reconcile per map per engine at a time. The lock is a container named `berth-lock.<map>`
 * (never started) on the engine itself: the engine reserves container names atomically, so two
 * runs from two machines cannot both create it. Its labels say who holds it and until when; an
 * expired lock, or one whose holder process on this machine is gone, is taken over.
 */
/** An empty image berth imports itself (no registry needed) for its never-started marker containers. */
export const MARKER_IMAGE = "berth/marker:1";

export interface LockOptions {
  /** How long to wait for another run to finish (0: do not wait). */
  timeoutMs: number;
  /** How long the lock is valid without its holder (a run killed without cleaning up). */
  ttlMs?: number;
  clock?: Clock;
  onWait?: (holder: string) => void;
  /** Identifies this run; default user@host pid N. */
  holder?: string;
  /** Aborted (SIGINT): stop waiting at once. */
  signal?: AbortSignal;
}

export interface HeldLock {
  name: string;
  release(): Promise<void>;
}

export function lockName(mapName: string): string {
  return `berth-lock.${mapName}`;
}

export async function acquireLock(
  engine: EngineWriter,
  mapName: string,
  options: LockOptions,
): Promise<HeldLock> {
  const clock = options.clock ?? systemClock;
  const name = lockName(mapName);
  const holder = options.holder ?? `${safeUser()}@${hostname()} pid ${process.pid}`;
  const deadline = clock.now() + options.timeoutMs;
  let waitedFor: string | undefined;
  for (;;) {
    if (options.signal?.aborted) {
      throw new LockError(
        `interrupted while waiting for the lock of map ${mapName} on engine ${engine.name}`,
      );
    }
    const expires = new Date(clock.now() + (options.ttlMs ?? 15 * 60_000)).toISOString();
    try {
      const id = await createLockContainer(engine, name, mapName, holder, expires);
      return { name, release: () => releaseLock(engine, id, name, mapName) };
    } catch (err) {
      if (!isEngineConflictError(err)) throw err;
    }
    const current = await engine.inspectContainer(name).catch((err: unknown) => {
      if (isEngineNotFoundError(err)) return undefined; // released meanwhile: try again
      throw err;
    });
    if (current === undefined) continue;
    const labels = current.Config.Labels ?? {};
    const currentHolder = labels[LABEL.lockHolder] ?? "an unknown holder";
    if (isStale(labels, clock.now())) {
      await engine.removeContainer(current.Id, { force: true }).catch(ignoreMissing);
      continue;
    }
    if (clock.now() >= deadline) {
      throw new LockError(
        `map ${mapName} is locked on engine ${engine.name} by ${currentHolder} (until ${labels[LABEL.lockExpires] ?? "unknown"})`,
        { hint: "another berth run is changing this map; wait for it, or raise --lock-timeout" },
      );
    }
    if (waitedFor !== currentHolder) {
      waitedFor = currentHolder;
      options.onWait?.(currentHolder);
    }
    // An abort ends the sleep; the check at the top of the loop reports it.
    await clock
      .sleep(Math.min(500, Math.max(0, deadline - clock.now())), options.signal)
      .catch(() => undefined);
  }
}

/** Removes the lock; when that fails, the error says it was the lock (not the run's own work). */
async function releaseLock(engine: EngineWriter, id: string, name: string, mapName: string): Promise<void> {
  try {
    await engine.removeContainer(id, { force: true });
  } catch (err) {
    if (isEngineNotFoundError(err)) return;
    const reason = isEngineError(err) ? err.engineMessage : String(err);
    throw new LockError(`could not release the lock of map ${mapName} on engine ${engine.name}: ${reason}`, {
      cause: err,
      hint: `the next run takes over a lock whose holder is gone; or remove it: docker rm -f ${name}`,
    });
  }
}

async function createLockContainer(
  engine: EngineWriter,
  name: string,
  mapName: string,
  holder: string,
  expires: string,
): Promise<string> {
  return createMarkerContainer(engine, name, {
    [LABEL.map]: mapName,
    [LABEL.kind]: "lock",
    [LABEL.lockHolder]: holder,
    [LABEL.lockExpires]: expires,
    "berth.lock.host": hostname(),
    "berth.lock.pid": String(process.pid),
  });
}

/**
 * A never-started container that only carries labels (the lock, the map's state record). Its
 * image is made on first use: an empty image, imported, so no registry is needed.
 */
export async function createMarkerContainer(
  engine: EngineWriter,
  name: string,
  labels: Record<string, string>,
): Promise<string> {
  const body = {
    Image: MARKER_IMAGE,
    Cmd: ["berth-marker"],
    Labels: labels,
    HostConfig: { NetworkMode: "none" },
  };
  try {
    return await engine.createContainer(name, body);
  } catch (err) {
    if (!isEngineNotFoundError(err) || !/image/i.test(String(err))) throw err;
    const [repository, tag] = MARKER_IMAGE.split(":") as [string, string];
    await engine.importImage(emptyTar(), repository, tag);
    return engine.createContainer(name, body);
  }
}

function isStale(labels: Record<string, string>, now: number): boolean {
  const expires = Date.parse(labels[LABEL.lockExpires] ?? "");
  if (Number.isNaN(expires) || expires <= now) return true;
  // A holder on this machine whose process is gone will never release it.
  if (labels["berth.lock.host"] === hostname()) {
    const pid = Number(labels["berth.lock.pid"]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processExists(pid)) return true;
  }
  return false;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function ignoreMissing(err: unknown): void {
  if (!isEngineNotFoundError(err)) throw err;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}

/** A tar archive holding one empty directory `./` (ustar), enough for an image import. */
export function emptyTar(): Buffer {
  const header = Buffer.alloc(512, 0);
  const write = (text: string, offset: number, length: number) => header.write(text, offset, length, "ascii");
  write("./", 0, 100);
  write("0000755\0", 100, 8);
  write("0000000\0", 108, 8);
  write("0000000\0", 116, 8);
  write("00000000000\0", 124, 12);
  write("00000000000\0", 136, 12);
  write("        ", 148, 8);
  write("5", 156, 1);
  write("ustar\0", 257, 6);
  write("00", 263, 2);
  let sum = 0;
  for (const byte of header) sum += byte;
  write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  return Buffer.concat([header, Buffer.alloc(1024, 0)]);
}
