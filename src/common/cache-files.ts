import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Writes one entry of a cache folder, private to the user (0600 in a 0700 folder), whole and then
 * renamed so that a reader never sees half an entry, and keeps the newest `maxEntries` entries
 * with the same ending. Returns false when it could not: a cache can only make berth faster, so
 * callers go on without it.
 */
export function writeCacheEntry(
  dir: string,
  name: string,
  data: string | Uint8Array,
  maxEntries: number,
): boolean {
  const path = join(dir, name);
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(temporary, data, { mode: 0o600 });
    renameSync(temporary, path);
    evictOldest(dir, name.slice(name.lastIndexOf(".")), maxEntries);
    return true;
  } catch {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // Nothing was written where nothing can be removed.
    }
    return false;
  }
}

/** Removes the oldest entries (by modification time) ending in `ending` beyond `maxEntries`. */
function evictOldest(dir: string, ending: string, maxEntries: number): void {
  const entries = readdirSync(dir).filter((name) => name.endsWith(ending));
  if (entries.length <= maxEntries) return;
  const byAge = entries
    .map((name) => ({ name, mtime: statSync(join(dir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => a.mtime - b.mtime);
  for (const { name } of byAge.slice(0, entries.length - maxEntries))
    rmSync(join(dir, name), { force: true });
}
