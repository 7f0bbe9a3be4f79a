import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Script } from "node:vm";
import { writeCacheEntry } from "../common/cache-files.js";

/** Bump when an entry's layout changes: older entries are then never read. */
const ENTRY_FORMAT = 1;
/** Entries kept (one per bundle, Node and command; about 400 KB each); the oldest go first. */
const MAX_ENTRIES = 16;
/** Each entry starts with the SHA-256 of the rest: V8 checks a code cache's version and length, not its bytes. */
const DIGEST_BYTES = 32;
/** CommonJS's wrapper, on a line of its own so that the bundle's lines keep their numbers. */
const WRAPPER_START = "(function (exports, require, module, __filename, __dirname) {\n";

/** A CommonJS bundle loaded by `loadBundle`. */
export interface LoadedBundle {
  readonly exports: unknown;
  /** Whether V8 took the compiled code from the cache instead of compiling the bundle. */
  readonly fromCache: boolean;
  /**
   * Keeps the code V8 compiled so far for the next run (call it once the run's work is done, so
   * that it holds every function the run needed); does nothing when this run used the cache.
   */
  saveCode(): void;
}

/**
 * Loads a CommonJS bundle as `require` would, but with V8's compiled code kept between runs in
 * `<cacheRoot>/code-v1/` (Node 22 has module.enableCompileCache for this; berth runs on Node 20).
 * A short-lived process such as `berth update` otherwise compiles the same few thousand functions
 * on every run. An entry is named by a hash of the bundle's bytes, Node's version and flags, and
 * `purpose` (what the run does: each command compiles different functions); an entry that is
 * missing, damaged or refused by V8 only means compiling as usual.
 */
export function loadBundle(file: string, cacheRoot: string | undefined, purpose: string): LoadedBundle {
  const bytes = readFileSync(file);
  const source = bytes.toString("utf8");
  const entry = cacheRoot === undefined ? undefined : entryOf(cacheRoot, bytes, purpose);
  const cachedData = entry === undefined ? undefined : readEntry(entry.dir, entry.name);
  const script = new Script(`${WRAPPER_START}${source}\n})`, {
    filename: file,
    lineOffset: -1,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const fromCache = cachedData !== undefined && !script.cachedDataRejected;
  const bundleModule = { exports: {} as unknown };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(
    bundleModule.exports,
    bundleModule.exports,
    createRequire(file),
    bundleModule,
    file,
    dirname(file),
  );
  return {
    get exports() {
      return bundleModule.exports;
    },
    fromCache,
    saveCode: () => {
      if (entry === undefined || fromCache) return;
      const code = script.createCachedData();
      writeCacheEntry(entry.dir, entry.name, Buffer.concat([sha256(code), code]), MAX_ENTRIES);
    },
  };
}

/** Named by a hash of the bundle's bytes: hashing its text would encode 250 KB again, ~5 ms. */
function entryOf(cacheRoot: string, bundle: Uint8Array, purpose: string): { dir: string; name: string } {
  const key = createHash("sha256")
    .update(`code ${ENTRY_FORMAT} ${process.version} ${process.arch} ${process.execArgv.join(" ")}\n`)
    .update(`${purpose}\n`)
    .update(bundle)
    .digest("hex");
  return { dir: join(cacheRoot, `code-v${ENTRY_FORMAT}`), name: `${key}.bin` };
}

/** The code of an entry whose digest matches; undefined otherwise. */
function readEntry(dir: string, name: string): Buffer | undefined {
  try {
    const saved = readFileSync(join(dir, name));
    const code = saved.subarray(DIGEST_BYTES);
    return code.length > 0 && sha256(code).equals(saved.subarray(0, DIGEST_BYTES)) ? code : undefined;
  } catch {
    return undefined;
  }
}

function sha256(data: Uint8Array): Buffer {
  return createHash("sha256").update(data).digest();
}
