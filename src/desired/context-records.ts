import { lstatSync, readdirSync, readlinkSync, statSync, type Stats } from "node:fs";
import { posix } from "node:path";
import { compareText } from "../common/text.js";
import type { ContextDigest } from "./build-context.js";

/**
 * Whole context digests, kept with what their reading saw: the no-op shortcut of build contexts.
 *
 * Why: in the CLI, reading the contexts is on the critical path of a no-op `update` (the engine's
 * lists were asked for before berth loaded). Even with every file's digest known, a cold process
 * spent about 8 ms on 20 contexts of 8 files: parsing the Dockerfile and .dockerignore, matching
 * each path against the rules, an object per entry, sorting, hashing the digests together — cold
 * JIT work, not system calls (the lstat of all ~180 entries took about 1.2 ms). Replaying what the
 * reading saw (each folder's names, each entry's lstat figures, each followed stat, each link's
 * target) and reusing the digests when all of it is unchanged (the Dockerfile is still read, for
 * its instructions) cut that reading's CPU in a fresh process from 8–10 ms to 5.6–6.8 ms on the
 * loaded test machine, and the CLI's built ÷ pulled no-op of bench (e) from 1.10–1.13× to
 * 1.03–1.08× (interleaved runs; BENCHMARKS.md, section (e)).
 *
 * Correct because the reading of a folder context is a function of exactly these observations
 * and of the contents of the files it read, and a file's content is trusted unchanged while its
 * lstat figures are (the same rule as the per-file digests, build-context.ts): a read that saw a
 * figure too recent to trust (stamp undefined) keeps no record. Anything else — a different
 * name, figure, link target, a missing or new file — and the context is read again in full.
 */

/** The figures a file's digest is trusted by: size, times, inode, mode (build-context.ts: stampOf). */
export function stampText(stat: Stats): string {
  return `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}:${stat.mode}`;
}

/**
 * One observation of a reading, replayed to check a record: what was asked, of which host path,
 * and what it gave. `d`: a folder's names (sorted, joined by "/", which no name holds); `l`: lstat
 * figures; `s`: stat figures (a link followed); `r`: a link's target. ABSENT: nothing there.
 */
export type Check = [what: "d" | "l" | "s" | "r", path: string, saw: string];

const ABSENT = "-";

/** What a context's reading saw, gathered as it reads (build-context.ts: collect). */
export class ReadTrace {
  readonly checks: Check[] = [];
  /** False once a figure was too recent to trust, or a path was relative: no record is kept. */
  trusted = true;

  constructor(root: string) {
    if (!posix.isAbsolute(root)) this.trusted = false;
  }

  folder(path: string, sortedNames: readonly string[]): void {
    this.checks.push(["d", path, sortedNames.join("/")]);
  }

  /** A stat (`l`: of the link itself; `s`: followed); stamp undefined: too recent to trust. */
  figures(what: "l" | "s", path: string, stat: Stats | undefined, stamp: string | undefined): void {
    if (stat !== undefined && stamp === undefined) this.trusted = false;
    this.checks.push([what, path, stat === undefined ? ABSENT : stampText(stat)]);
  }

  link(path: string, target: string): void {
    this.checks.push(["r", path, target]);
  }
}

/**
 * What a context's reading saw, and the digests it gave: of its files and of its Dockerfile. No
 * file's content is kept (the Dockerfile's instructions are read again: build-context.ts).
 */
export interface ContextRecord {
  checks: Check[];
  digest: RecordedDigest;
}

export type RecordedDigest = Pick<ContextDigest, "files" | "filesDigest" | "dockerfile">;

/**
 * Records by context (recordKey), in this process (an API caller's later runs) and loaded from
 * the CLI's cache folder (build-context.ts: withSavedDigests).
 */
const records = new Map<string, ContextRecord>();

/** A folder context's key: its absolute folder and Dockerfile. */
export function recordKey(context: string, dockerfile: string): string {
  return `${context}\0${dockerfile}`;
}

/** The digest kept for `key` when everything its reading saw is still so, else undefined. */
export function unchangedDigest(key: string): RecordedDigest | undefined {
  const record = records.get(key);
  if (record === undefined) return undefined;
  for (const check of record.checks)
    if (!stillSo(check)) {
      records.delete(key);
      return undefined;
    }
  return record.digest;
}

function stillSo([what, path, saw]: Check): boolean {
  try {
    switch (what) {
      case "d":
        return readdirSync(path).sort(compareText).join("/") === saw;
      case "l":
      case "s": {
        const stat = (what === "l" ? lstatSync : statSync)(path, { throwIfNoEntry: false });
        return (stat === undefined ? ABSENT : stampText(stat)) === saw;
      }
      case "r":
        return readlinkSync(path, "utf8") === saw;
    }
  } catch {
    // Cannot be asked again (a folder gone, a link become a file): read the context in full.
    return false;
  }
}

/** Keeps what a full reading saw, or forgets the context when the reading cannot be trusted. */
export function keepRecord(key: string, trace: ReadTrace, digest: ContextDigest): void {
  if (!trace.trusted) {
    records.delete(key);
    return;
  }
  const { files, filesDigest, dockerfile } = digest;
  records.set(key, { checks: needed(trace.checks), digest: { files, filesDigest, dockerfile } });
}

/**
 * The checks without a followed stat that an lstat of the same path implies: when both saw the
 * same figures the path is no link (a link's own figures are not its target's: another inode),
 * and as long as the lstat still sees them, the stat does too; nothing for lstat is nothing for
 * stat. That is the usual Dockerfile and .dockerignore, read as text and met again by the walk.
 */
function needed(checks: readonly Check[]): Check[] {
  const lstats = new Set(checks.filter(([what]) => what === "l").map(([, path, saw]) => `${path}\0${saw}`));
  return checks.filter(([what, path, saw]) => what !== "s" || !lstats.has(`${path}\0${saw}`));
}

export function forgetContextRecords(): void {
  records.clear();
}

/** The records of `keys` to save (the same objects as long as their contexts did not change). */
export function recordsOf(keys: Iterable<string>): Record<string, ContextRecord> {
  const out: Record<string, ContextRecord> = {};
  for (const key of keys) {
    const record = records.get(key);
    if (record !== undefined) out[key] = record;
  }
  return out;
}

/** Takes saved records (unknown shapes are skipped: a cache only makes berth faster). */
export function loadRecords(saved: unknown): void {
  if (typeof saved !== "object" || saved === null) return;
  for (const [key, record] of Object.entries(saved as Record<string, unknown>))
    if (!records.has(key) && isRecord(record)) records.set(key, record);
}

function isRecord(value: unknown): value is ContextRecord {
  const r = value as Partial<ContextRecord> | null;
  const d = r?.digest;
  return (
    Array.isArray(r?.checks) &&
    r.checks.every(
      (c) => Array.isArray(c) && c.length === 3 && ["d", "l", "s", "r"].includes(c[0]) && c.every(isText),
    ) &&
    typeof d === "object" &&
    d !== null &&
    isText(d.filesDigest) &&
    isText(d.dockerfile) &&
    typeof d.files === "object" &&
    d.files !== null &&
    Object.values(d.files).every(isText)
  );
}

const isText = (value: unknown): value is string => typeof value === "string";
