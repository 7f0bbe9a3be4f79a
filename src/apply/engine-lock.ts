import { userInfo } from "node:os";
import { systemClock, type Clock } from "../common/clock.js";
import type { EngineReader, EngineWriter } from "../engine/engine.js";
import type { ContainerSummary } from "../engine/engine-types.js";
import { isEngineConflictError, isEngineError, isEngineNotFoundError } from "../engine/engine-errors.js";
import { LABEL } from "../model/labels.js";
import { LockError } from "./apply-errors.js";
import { removeContainerUntilGone } from "./container-removal.js";
import {
  holderIsGone,
  holderLabels,
  systemProbe,
  thisProcess,
  type HolderIdentity,
  type ProcessProbe,
} from "./lock-holder.js";

/**
 * One reconcile per map per engine at a time. The lock is a container named `berth-lock.<map>`
 * (never started) on the engine itself: the engine reserves container names atomically, so two
 * runs from two machines cannot both create it.
 *
 * A container's labels cannot change, so the lock cannot say "still alive" by itself. It is a
 * lease instead:
 * - the lock's labels say who holds it (host, pid, boot id, pid namespace, process start time)
 *   and until when its first lease runs (`berth.lock.expires`, one lease from its creation);
 * - every `renewEveryMs` (10 s) the holder renews: it makes a second never-started container,
 *   `berth-lock-renewal.<map>.<until>`, then renames it to carry a later `until` (epoch ms). A
 *   rename is one atomic engine call and the lock's own name never leaves it, so renewing opens
 *   no window in which another run could take the lock; a run shorter than one period makes no
 *   renewal at all (no extra engine call);
 * - a lock is stale when the latest `until` (its label or its renewal's name) has passed — a
 *   holder on another machine that died blocks others for at most one lease (60 s), not for as
 *   long as it might have run — or, at once, when its holder is a process of this machine that
 *   is gone (see lock-holder.ts).
 * The lease tolerates clock skew between hosts up to a lease minus a renewal period (50 s).
 * A stale lock is cleared by the next run of its map that may write (startup, update, shutdown,
 * a saved plan's apply), even one with nothing else to do (`clearStaleLocks`); read-only runs
 * (plan, status, dry runs) never remove it.
 */
/** An empty image berth imports itself (no registry needed) for its never-started marker containers. */
export const MARKER_IMAGE = "berth/marker:1";

/** How long a lock stays valid after its last renewal. */
export const LOCK_LEASE_MS = 60_000;
/** How often a holder renews its lease. */
export const LOCK_RENEW_EVERY_MS = 10_000;

/** On a renewal container: the id of the lock it renews. */
const RENEWS_LABEL = "berth.lock.renews";

export interface LockOptions {
  /** How long to wait for another run to finish (0: do not wait). */
  timeoutMs: number;
  /** How long the lock is valid after its last renewal (a run killed without cleaning up). */
  ttlMs?: number;
  /** How often the holder renews (default 10 s; 0: never, the lock then lasts one lease). */
  renewEveryMs?: number;
  clock?: Clock;
  onWait?: (holder: string) => void;
  /** Identifies this run; default user@host pid N. */
  holder?: string;
  /** Aborted (SIGINT): stop waiting at once. */
  signal?: AbortSignal;
  /** Who this process is (tests stand in for another machine). */
  identity?: HolderIdentity;
  probe?: ProcessProbe;
}

export interface HeldLock {
  name: string;
  release(): Promise<void>;
}

export function lockName(mapName: string): string {
  return `berth-lock.${mapName}`;
}

/** The renewal container's name: the lock's map and the time its lease now runs to. */
export function renewalName(mapName: string, until: number): string {
  return `berth-lock-renewal.${mapName}.${until}`;
}

/** The `until` a renewal container's name carries, or NaN. */
function renewalUntil(name: string): number {
  const plain = name.replace(/^\//, "");
  return plain.startsWith("berth-lock-renewal.") ? Number(plain.slice(plain.lastIndexOf(".") + 1)) : NaN;
}

export async function acquireLock(
  engine: EngineWriter,
  mapName: string,
  options: LockOptions,
): Promise<HeldLock> {
  const clock = options.clock ?? systemClock;
  const identity = options.identity ?? thisProcess();
  const probe = options.probe ?? systemProbe;
  const holder = options.holder ?? `${safeUser()}@${identity.host} pid ${identity.pid}`;
  const deadline = clock.now() + options.timeoutMs;
  let waitedFor: string | undefined;
  for (;;) {
    if (options.signal?.aborted) {
      throw new LockError(
        `interrupted while waiting for the lock of map ${mapName} on engine ${engine.name}`,
      );
    }
    const held = await tryTake(engine, mapName, holder, identity, options);
    if (held !== undefined) return held;
    const view = await readLock(engine, mapName);
    if (view === undefined) continue; // released meanwhile: try again
    if (isStale(view, clock.now(), identity, probe)) {
      await clearLock(engine, view);
      continue;
    }
    if (clock.now() >= deadline) {
      throw new LockError(
        `map ${mapName} is locked on engine ${engine.name} by ${view.holder} (until ${new Date(view.until).toISOString()})`,
        { hint: "another berth run is changing this map; wait for it, or raise --lock-timeout" },
      );
    }
    if (waitedFor !== view.holder) {
      waitedFor = view.holder;
      options.onWait?.(view.holder);
    }
    // An abort ends the sleep; the check at the top of the loop reports it.
    await clock
      .sleep(Math.min(500, Math.max(0, deadline - clock.now())), options.signal)
      .catch(() => undefined);
  }
}

/** Creates the lock (undefined when another run holds the name) and starts renewing it. */
async function tryTake(
  engine: EngineWriter,
  mapName: string,
  holder: string,
  identity: HolderIdentity,
  options: LockOptions,
): Promise<HeldLock | undefined> {
  const clock = options.clock ?? systemClock;
  const leaseMs = options.ttlMs ?? LOCK_LEASE_MS;
  const name = lockName(mapName);
  let id: string;
  try {
    id = await createMarkerContainer(engine, name, {
      [LABEL.map]: mapName,
      [LABEL.kind]: "lock",
      [LABEL.lockHolder]: holder,
      [LABEL.lockExpires]: new Date(clock.now() + leaseMs).toISOString(),
      ...holderLabels(identity),
    });
  } catch (err) {
    if (isEngineConflictError(err)) return undefined;
    throw err;
  }
  const renewing = startRenewal(engine, mapName, id, holder, clock, leaseMs, options.renewEveryMs);
  return { name, release: () => release(engine, mapName, id, renewing) };
}

interface Renewal {
  stop(): Promise<void>;
}

/**
 * Renews the lease every `everyMs`: the first time by making the renewal container, then by
 * renaming it to a later `until`. A run shorter than one period makes none (no extra engine
 * call). A rename that finds it gone means another run judged the lock stale and took it:
 * renewing stops.
 */
function startRenewal(
  engine: EngineWriter,
  mapName: string,
  lockId: string,
  holder: string,
  clock: Clock,
  leaseMs: number,
  everyMs = LOCK_RENEW_EVERY_MS,
): Renewal {
  if (everyMs <= 0) return { stop: () => Promise.resolve() };
  const stopped = new AbortController();
  let id: string | undefined;
  const renew = async () => {
    const name = renewalName(mapName, clock.now() + leaseMs);
    if (id !== undefined) return engine.renameContainer(id, name);
    id = await createMarkerContainer(engine, name, {
      [LABEL.map]: mapName,
      [LABEL.kind]: "lock",
      [LABEL.lockHolder]: holder,
      [RENEWS_LABEL]: lockId,
    });
  };
  const loop = (async () => {
    for (;;) {
      try {
        await clock.sleep(everyMs, stopped.signal);
      } catch {
        return;
      }
      try {
        await renew();
      } catch (err) {
        if (isEngineNotFoundError(err)) return;
        // A passing engine failure: the next renewal tries again, well within the lease.
      }
    }
  })();
  return {
    stop: async () => {
      stopped.abort();
      await loop;
      if (id !== undefined) await removeQuietly(engine, id);
    },
  };
}

/**
 * Stops renewing and removes the renewal, then the lock. In that order: a lock left without
 * renewal by a kill in between is judged by its own expiry label.
 */
async function release(
  engine: EngineWriter,
  mapName: string,
  lockId: string,
  renewing: Renewal,
): Promise<void> {
  await renewing.stop();
  try {
    await removeContainerUntilGone(engine, lockId, { force: true });
  } catch (err) {
    // Said as the lock's failure, not the run's: the run's own work is done by then.
    const reason = isEngineError(err) ? err.engineMessage : String(err);
    throw new LockError(`could not release the lock of map ${mapName} on engine ${engine.name}: ${reason}`, {
      cause: err,
      hint: `the next run takes over a lock whose holder is gone; or remove it: docker rm -f ${lockName(mapName)}`,
    });
  }
}

/** A lock-kind container as the engine lists it (a container summary or an observed container). */
interface LockEntry {
  id: string;
  name: string;
  labels: Readonly<Record<string, string>>;
}

interface LockView {
  /** The lock itself; undefined when only renewals were found. */
  lock: LockEntry | undefined;
  renewals: { id: string; name: string; renews: string | undefined; until: number }[];
  holder: string;
  /** When the lease runs out: the later of the lock's expiry label and its renewal's name. */
  until: number;
}

/** The map's lock and renewals now (one list call); undefined when there are none. */
async function readLock(engine: EngineReader, mapName: string): Promise<LockView | undefined> {
  const found = await engine.listContainers({ [LABEL.map]: mapName, [LABEL.kind]: "lock" });
  return lockView(found.map(entryOf), mapName);
}

function entryOf(summary: ContainerSummary): LockEntry {
  const name = summary.Names.find((n) => n.lastIndexOf("/") === 0) ?? summary.Names[0] ?? summary.Id;
  return { id: summary.Id, name: name.replace(/^\//, ""), labels: summary.Labels ?? {} };
}

export function lockView(entries: readonly LockEntry[], mapName: string): LockView | undefined {
  const ours = entries.filter((e) => e.labels[LABEL.map] === mapName && e.labels[LABEL.kind] === "lock");
  const lock = ours.find((e) => e.name === lockName(mapName));
  const renewals = ours
    .filter((e) => e.name.startsWith(`berth-lock-renewal.${mapName}.`))
    .map((e) => ({ id: e.id, name: e.name, renews: e.labels[RENEWS_LABEL], until: renewalUntil(e.name) }));
  if (lock === undefined && renewals.length === 0) return undefined;
  const times = [Date.parse(lock?.labels[LABEL.lockExpires] ?? "")];
  for (const r of renewals) if (lock !== undefined && r.renews === lock.id) times.push(r.until);
  const known = times.filter((t) => !Number.isNaN(t));
  return {
    lock,
    renewals,
    holder: lock?.labels[LABEL.lockHolder] ?? "an unknown holder",
    until: known.length === 0 ? Number.NaN : Math.max(...known),
  };
}

function isStale(view: LockView, now: number, self: HolderIdentity, probe: ProcessProbe): boolean {
  if (view.lock === undefined) return true;
  if (Number.isNaN(view.until) || view.until <= now) return true;
  // A holder on this machine whose process is gone will never release it.
  return holderIsGone(view.lock.labels, self, probe);
}

/** Removes a stale lock's renewals (and any without a lock), then the lock, each by id. */
async function clearLock(engine: EngineWriter, view: LockView): Promise<void> {
  for (const renewal of view.renewals) await removeQuietly(engine, renewal.id);
  if (view.lock !== undefined) await removeQuietly(engine, view.lock.id);
}

export interface ClearOptions {
  clock?: Clock;
  identity?: HolderIdentity;
  probe?: ProcessProbe;
}

/**
 * For a run that may write but found nothing to do (so takes no lock): clears the map's lock
 * when its holder is gone, and renewals a crashed run left without a lock. Judged first from the
 * containers the run already observed, so a map without a lock costs no call; a lock that looks
 * stale is read again before it is removed. Returns whether anything was removed.
 */
export async function clearStaleLocks(
  engine: EngineWriter,
  mapName: string,
  observed: readonly LockEntry[],
  options: ClearOptions = {},
): Promise<boolean> {
  const clock = options.clock ?? systemClock;
  const identity = options.identity ?? thisProcess();
  const probe = options.probe ?? systemProbe;
  const seen = lockView(observed, mapName);
  if (seen === undefined || !isStale(seen, clock.now(), identity, probe)) return false;
  const fresh = await readLock(engine, mapName);
  if (fresh === undefined || !isStale(fresh, clock.now(), identity, probe)) return false;
  await clearLock(engine, fresh);
  return true;
}

/** What the map's lock on one engine is now: none, held by a live run, or stale (with its containers). */
export type LockState =
  | { state: "free" }
  | { state: "held"; holder: string }
  | { state: "stale"; holder: string; objects: { id: string; name: string }[] };

/** The map's lock on the engine now (one list call), judged as acquireLock judges it. */
export async function lockState(
  engine: EngineReader,
  mapName: string,
  options: ClearOptions = {},
): Promise<LockState> {
  return judgeLock(await readLock(engine, mapName), options);
}

/**
 * `berth cleanup`: removes the map's lock when it is stale (its holder is gone, or its lease ran
 * out), with its renewals, and renewals left without a lock; returns what it found, so the caller
 * can say what it removed.
 */
export async function clearStaleLock(
  engine: EngineWriter,
  mapName: string,
  options: ClearOptions = {},
): Promise<LockState> {
  const view = await readLock(engine, mapName);
  const found = judgeLock(view, options);
  if (found.state === "stale" && view !== undefined) await clearLock(engine, view);
  return found;
}

function judgeLock(view: LockView | undefined, options: ClearOptions): LockState {
  if (view === undefined) return { state: "free" };
  const stale = isStale(
    view,
    (options.clock ?? systemClock).now(),
    options.identity ?? thisProcess(),
    options.probe ?? systemProbe,
  );
  if (!stale) return { state: "held", holder: view.holder };
  const objects = view.renewals.map(({ id, name }) => ({ id, name }));
  if (view.lock !== undefined) objects.push({ id: view.lock.id, name: view.lock.name });
  return { state: "stale", holder: view.holder, objects };
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

async function removeQuietly(engine: EngineWriter, id: string): Promise<void> {
  await removeContainerUntilGone(engine, id, { force: true });
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
