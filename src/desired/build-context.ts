import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync, type Stats } from "node:fs";

import { join, posix, resolve } from "node:path";
import { writeCacheEntry } from "../common/cache-files.js";
import { BerthError } from "../common/berth-error.js";
import { canonicalJson, digest } from "../common/canonical-json.js";
import { compareText } from "../common/text.js";
import type { GeneratedBuild, ResolvedBuild } from "../map/model.js";
import { baseImages, parseDockerfile, type Instruction } from "./dockerfile.js";
import { generateDockerfile } from "./generated-dockerfile.js";
import { hasExceptions, isIgnored, parseDockerignore, type IgnoreRule } from "./dockerignore.js";
import {
  forgetContextRecords,
  keepRecord,
  loadRecords,
  ReadTrace,
  recordKey,
  recordsOf,
  stampText,
  unchangedDigest,
} from "./context-records.js";

// Contexts are read with synchronous calls behind promise-shaped helpers: a small context is many
// tiny reads, and a round trip through libuv's thread pool for each cost several times the read
// (20 contexts of a no-op update: about 4x faster than fs/promises on the test machine).
const lstat = (path: string) => settled(() => lstatSync(path));
const readdir = (path: string) => settled(() => readdirSync(path));
const readlink = (path: string) => settled(() => readlinkSync(path, "utf8"));

function settled<T>(read: () => T): Promise<T> {
  try {
    return Promise.resolve(read());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
/** A build's context cannot be read (missing folder or Dockerfile, unreadable file). */
export class BuildContextError extends BerthError {
  readonly code = "build-context";
}
export const isBuildContextError = (e: unknown): e is BuildContextError => e instanceof BuildContextError;

/**
 * What a build's result depends on, from the map's side: the context's files as `.dockerignore`
 * selects them (by content, mode and kind), the Dockerfile, and the base images it names. Read
 * before planning; the planner compares it with what the image's labels recorded.
 */
export interface ContextDigest {
  /** Context path → digest of the entry (kind, mode, content or link target); the Dockerfile aside. */
  files: Record<string, string>;
  /** Digest of all of `files`. */
  filesDigest: string;
  /** Digest of the Dockerfile's text. */
  dockerfile: string;
  /** Base image references of the build (FROM lines, up to the target). */
  bases: string[];
  /** The Dockerfile's instructions, for naming the line of a failed step. */
  instructions: Instruction[];
}

interface Entry {
  path: string;
  kind: "file" | "dir" | "symlink";
  mode: number;
  mtime: number;
  /** A file's content, read only when needed (see fileDigest); always set for a generated one. */
  content: Buffer | undefined;
  linkTarget: string;
  /** Where a file is read from on the host. */
  source: string;
  /** What lstat said of it (size, times, inode, mode); undefined when too recent to trust. */
  stamp: string | undefined;
}

/** The contexts of every image the map builds, read in parallel, by image reference. */
export async function readBuildContexts(map: {
  containers: readonly { config: string; image: string; build?: ResolvedBuild }[];
}): Promise<Record<string, ContextDigest>> {
  const sources = new Map<string, { config: string; build: ResolvedBuild }>();
  for (const container of map.containers)
    if (container.build !== undefined && !sources.has(container.image))
      sources.set(container.image, { config: container.config, build: container.build });
  // The reads below are synchronous (see above) and hold the event loop: let the engine requests
  // the caller started alongside (observe) leave first, so the engine answers while they run.
  if (sources.size > 0) await new Promise((resolve) => setImmediate(resolve));
  // Images built from the same folder and Dockerfile read it once (only the base images differ).
  const folders = new Map<string, Promise<ContextDigest>>();
  const roots = [...new Set([...sources.values()].flatMap(({ build }) => contextRoots(build)))].sort();
  const keys = [...sources.values()].flatMap(({ build }) =>
    build.generated === undefined ? [recordKey(build.context, build.dockerfile)] : [],
  );
  const read = await withSavedDigests(roots, keys, () =>
    Promise.all(
      [...sources].map(async ([image, { config, build }]) => {
        const key =
          build.generated === undefined
            ? `${build.context}\0${build.dockerfile}`
            : canonicalJson(build.generated);
        let digest = folders.get(key);
        if (digest === undefined) {
          digest = readBuildContext(config, build);
          folders.set(key, digest);
        }
        const shared = await digest;
        const bases = baseImages(shared.instructions, build.args, build.target);
        return [image, { ...shared, bases }] as const;
      }),
    ),
  );
  return Object.fromEntries(read);
}

/** The host paths a build reads its files from: its folder, or the files a generated one names. */
function contextRoots(build: ResolvedBuild): string[] {
  if (build.generated === undefined) return [resolve(build.context)];
  return [...build.generated.add, ...build.generated.copy].map((file) => resolve(file.source));
}

/**
 * Where the digests of context files outlive the process (the CLI's cache folder; see
 * keepContextDigestsIn): one entry per set of context folders (a map's), read before its contexts
 * and written after them when a digest changed.
 */
let savedDigests: string | undefined;

/**
 * The CLI keeps the digests of context files in berth's cache folder, so that a no-op run of a
 * map that builds images opens no unchanged context file either; undefined: in the process only.
 * Only digests are kept (16 hex digits of a hash per file path), never a file's content.
 */
export function keepContextDigestsIn(cacheFolder: string | undefined): void {
  savedDigests = cacheFolder === undefined ? undefined : join(cacheFolder, "context-digests-v1");
}

/**
 * Reads the contexts with the saved records and file digests loaded first, and saves them after.
 * The file digests are kept as one JSON text in the entry and parsed only when a context is read
 * in full: a run whose contexts all kept their records needs none of them.
 */
async function withSavedDigests<T>(
  roots: readonly string[],
  keys: readonly string[],
  read: () => Promise<T>,
): Promise<T> {
  if (savedDigests === undefined || roots.length === 0) return read();
  const folder = savedDigests;
  const name = `${createHash("sha256").update(roots.join("\0")).digest("hex").slice(0, 32)}.json`;
  const saved = loadSaved(join(folder, name));
  loadRecords(saved.contexts);
  let loaded: Map<string, { stamp: string; digest: string }> | undefined;
  const load = () => {
    pendingFileDigests.delete(load);
    loaded = fileDigestsOf(saved.files);
    for (const [path, entry] of loaded) if (!fileDigests.has(path)) fileDigests.set(path, entry);
  };
  pendingFileDigests.add(load);
  const before = recordsOf(keys);
  let result: T;
  try {
    result = await read();
  } finally {
    pendingFileDigests.delete(load);
  }
  const after = recordsOf(keys);
  const recordsChanged = keys.some((key) => before[key] !== after[key]);
  if (loaded === undefined) {
    // No context was read in full: the file digests are as saved.
    if (recordsChanged) save(folder, name, saved.files ?? "{}", after);
    return result;
  }
  const was = loaded;
  const prefixes = roots.map((root) => `${root}/`);
  const now = [...fileDigests].filter(([path]) =>
    prefixes.some((prefix, i) => path === roots[i] || path.startsWith(prefix)),
  );
  const filesChanged = now.length !== was.size || now.some(([path, e]) => was.get(path)?.stamp !== e.stamp);
  if (filesChanged || recordsChanged) save(folder, name, JSON.stringify(Object.fromEntries(now)), after);
  return result;
}

/** Loaders of saved file digests not parsed yet (see withSavedDigests); fileDigest runs them. */
const pendingFileDigests = new Set<() => void>();

function save(folder: string, name: string, files: string, contexts: object): void {
  writeCacheEntry(folder, name, JSON.stringify({ files, contexts }), MAX_SAVED_SETS);
}

/** Drops the digests kept in this process (as a new process starts; tests use it). */
export function forgetContextDigests(): void {
  fileDigests.clear();
  texts.clear();
  forgetContextRecords();
}

/** Sets of contexts whose digests are kept (the newest; each is a small file). */
const MAX_SAVED_SETS = 200;

/**
 * A saved entry: whole contexts' records (context-records.ts), and the file digests by host path
 * as a JSON text (parsed when needed: fileDigestsOf). A cache only makes berth faster: an entry
 * that is missing or cannot be read is none, and the files are read.
 */
function loadSaved(file: string): { files: string | undefined; contexts: unknown } {
  try {
    const data = JSON.parse(readFileSync(file, "utf8")) as { files?: unknown; contexts?: unknown } | null;
    return { files: typeof data?.files === "string" ? data.files : undefined, contexts: data?.contexts };
  } catch {
    return { files: undefined, contexts: undefined };
  }
}

function fileDigestsOf(text: string | undefined): Map<string, { stamp: string; digest: string }> {
  const files = new Map<string, { stamp: string; digest: string }>();
  try {
    const saved = JSON.parse(text ?? "{}") as Record<string, { stamp?: unknown; digest?: unknown } | null>;
    for (const [path, e] of Object.entries(saved))
      if (typeof e?.stamp === "string" && typeof e.digest === "string")
        files.set(path, { stamp: e.stamp, digest: e.digest });
  } catch {
    // As no saved digests.
  }
  return files;
}

/**
 * Reads a context and digests it (no archive). A folder context whose reading is known to see
 * the same as before is not read again (context-records.ts).
 */
export async function readBuildContext(config: string, build: ResolvedBuild): Promise<ContextDigest> {
  if (build.generated !== undefined) return (await collect(config, build, false)).digest;
  const key = recordKey(build.context, build.dockerfile);
  const known = recordedDigest(key, build);
  if (known !== undefined) return known;
  const trace = new ReadTrace(build.context);
  const { digest: read } = await collect(config, build, false, trace);
  keepRecord(key, trace, read);
  return read;
}

/**
 * A context's recorded digest when nothing its reading saw changed. A record keeps no file's
 * content: the Dockerfile's text is the one this process read (see `texts`) or is read again, and
 * must have the recorded digest.
 */
function recordedDigest(key: string, build: ResolvedBuild): ContextDigest | undefined {
  const known = unchangedDigest(key);
  if (known === undefined) return undefined;
  const path = posix.join(build.context, posix.normalize(build.dockerfile));
  let text = texts.get(path)?.text;
  try {
    if (text === undefined || dockerfileDigest(text) !== known.dockerfile) text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  if (dockerfileDigest(text) !== known.dockerfile) return undefined;
  const instructions = parsedOnce(text, parseDockerfile);
  return { ...known, bases: baseImages(instructions, build.args, build.target), instructions };
}

const dockerfileDigest = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 32);

/** Reads a context, digests it and packs it as the tar archive the engine's build takes. */
export async function packBuildContext(
  config: string,
  build: ResolvedBuild,
): Promise<{ digest: ContextDigest; tar: Buffer }> {
  const { digest: contextDigest, entries } = await collect(config, build, true);
  return { digest: contextDigest, tar: tarOf(entries) };
}

/** Reads a context; `trace` gathers what the reading saw (folder contexts only; context-records.ts). */
async function collect(
  config: string,
  build: ResolvedBuild,
  keepContent: boolean,
  trace?: ReadTrace,
): Promise<{ digest: ContextDigest; entries: Entry[] }> {
  if (build.generated !== undefined) return collectGenerated(config, build.generated, build, keepContent);
  const where = `config ${config}: build context ${build.context}`;
  const folder = await lstat(build.context).catch(() => undefined);
  trace?.figures("l", build.context, folder, folder && stampOf(folder));
  if (folder === undefined || !folder.isDirectory())
    throw new BuildContextError(`${where} is not a folder`, {
      hint: "build.context is relative to the map file's folder; create it or fix the path",
    });
  const dockerfilePath = posix.normalize(build.dockerfile);
  const dockerfileText = await readText(posix.join(build.context, dockerfilePath), trace).catch(() => {
    throw new BuildContextError(`${where}: Dockerfile ${dockerfilePath} cannot be read`, {
      hint: "add it, or name another one with build.dockerfile (relative to the context)",
    });
  });
  const ignoreText = await readText(posix.join(build.context, ".dockerignore"), trace).catch(() => "");
  const rules = parsedOnce(ignoreText, parseDockerignore);
  const entries: Entry[] = [];
  await walk(build.context, "", rules, entries, where, trace);
  // The Dockerfile and .dockerignore always go (as the Docker client sends them).
  for (const always of [dockerfilePath, ".dockerignore"]) {
    if (entries.some((e) => e.path === always)) continue;
    const entry = await entryOf(build.context, always, trace).catch(() => undefined);
    if (entry !== undefined) entries.push(entry);
  }
  return digested(entries, dockerfilePath, dockerfileText, build, keepContent);
}

/** The parts shared by both forms: the entries sorted, digested, and the Dockerfile parsed. */
function digested(
  entries: Entry[],
  dockerfilePath: string,
  dockerfileText: string,
  build: ResolvedBuild,
  keepContent: boolean,
  names: ReadonlyMap<Entry, string> = new Map(),
): { digest: ContextDigest; entries: Entry[] } {
  entries.sort((a, b) => compareText(a.path, b.path));
  const files: Record<string, string> = {};
  for (const entry of entries) {
    if (entry.path === dockerfilePath) continue;
    files[names.get(entry) ?? entry.path] = fileDigest(entry);
  }
  for (const entry of entries) {
    if (keepContent) contentOf(entry);
    else entry.content = undefined;
  }
  const instructions = parsedOnce(dockerfileText, parseDockerfile);
  return {
    digest: {
      files,
      filesDigest: digest(files, 32),
      dockerfile: dockerfileDigest(dockerfileText),
      bases: baseImages(instructions, build.args, build.target),
      instructions,
    },
    entries,
  };
}

const EMPTY = Buffer.alloc(0);

/**
 * A Dockerfile written in the map: the generated text and the files it names, nothing else (no
 * folder has to exist). Files are recorded by their path as the map writes it, so a plan names
 * the file the map names; a named folder goes whole, its entries under the folder's path.
 */
async function collectGenerated(
  config: string,
  generated: GeneratedBuild,
  build: ResolvedBuild,
  keepContent: boolean,
): Promise<{ digest: ContextDigest; entries: Entry[] }> {
  const text = generateDockerfile(generated);
  const entries: Entry[] = [
    {
      path: "Dockerfile",
      kind: "file",
      mode: 0o644,
      mtime: 0,
      content: Buffer.from(text),
      linkTarget: "",
      source: "",
      stamp: undefined,
    },
  ];
  const names = new Map<Entry, string>();
  for (const file of [...generated.add, ...generated.copy]) {
    const where = `config ${config}: build file ${file.src}`;
    const top = await entryOf(posix.dirname(file.source), posix.basename(file.source)).catch(() => {
      throw new BuildContextError(`${where} cannot be read (${file.source})`, {
        hint: "a file of add/copy is relative to the map file's folder; create it or fix the path",
      });
    });
    const found: Entry[] = [top];
    if (top.kind === "dir") await walk(file.source, "", [], found, where, undefined);
    for (const entry of found) {
      const inside = entry === top ? "" : entry.path;
      names.set(entry, inside === "" ? file.src : `${file.src.replace(/\/+$/, "")}/${inside}`);
      entry.path = inside === "" ? file.contextPath : `${file.contextPath}/${inside}`;
      entries.push(entry);
    }
  }
  return digested(entries, "Dockerfile", text, build, keepContent, names);
}

async function walk(
  root: string,
  relative: string,
  rules: IgnoreRule[],
  out: Entry[],
  where: string,
  trace: ReadTrace | undefined,
) {
  const folder = relative === "" ? root : posix.join(root, relative);
  const names = await readdir(folder).catch((err: unknown) => {
    throw new BuildContextError(`${where}: cannot read ${relative || "."}: ${(err as Error).message}`);
  });
  names.sort(compareText);
  trace?.folder(folder, names);
  for (const name of names) {
    const path = relative === "" ? name : `${relative}/${name}`;
    const ignored = isIgnored(path, rules);
    const entry = await entryOf(root, path, trace).catch((err: unknown) => {
      throw new BuildContextError(`${where}: cannot read ${path}: ${(err as Error).message}`);
    });
    if (!ignored) out.push(entry);
    // An ignored folder is still walked when a `!` rule may take something in it back.
    if (entry.kind === "dir" && (!ignored || hasExceptions(rules)))
      await walk(root, path, rules, out, where, trace);
  }
}

/** An entry as lstat sees it: a file's content is not read here (an ignored one never is). */
async function entryOf(root: string, path: string, trace?: ReadTrace): Promise<Entry> {
  const full = posix.join(root, path);
  const stat = await lstat(full).catch((err: unknown) => {
    trace?.figures("l", full, undefined, undefined);
    throw err;
  });
  const stamp = stampOf(stat);
  trace?.figures("l", full, stat, stamp);
  const base = {
    path,
    mode: stat.mode & 0o7777,
    mtime: Math.floor(stat.mtimeMs / 1000),
    content: undefined,
    source: full,
    stamp,
  };
  if (stat.isSymbolicLink()) {
    const linkTarget = await readlink(full);
    trace?.link(full, linkTarget);
    return { ...base, kind: "symlink", linkTarget };
  }
  if (stat.isDirectory()) return { ...base, kind: "dir", linkTarget: "" };
  return { ...base, kind: "file", linkTarget: "" };
}

/**
 * Digests of context files taken in this process, by host path, with the lstat figures they were
 * taken under: an update run again (the API in a long-lived process) reads no file whose size,
 * times, inode and mode did not change. The change time moves with every write and cannot be set
 * by hand. A file changed within the last second is not kept: timestamps are coarse, and a
 * second write in the same tick of the clock could leave every figure as it was.
 */
const fileDigests = new Map<string, { stamp: string; digest: string }>();
const RECENT_MS = 1000;

function stampOf(stat: Stats): string | undefined {
  const now = Date.now();
  if (now - stat.mtimeMs < RECENT_MS || now - stat.ctimeMs < RECENT_MS) return undefined;
  return stampText(stat);
}

/** Texts a context's reading needs (its Dockerfile, .dockerignore), kept as the digests above are. */
const texts = new Map<string, { stamp: string; text: string }>();

/** A text file (its link followed, as the builder does), from `texts` when its figures did not change. */
function readText(path: string, trace?: ReadTrace): Promise<string> {
  return settled(() => {
    let stat: Stats;
    try {
      stat = statSync(path);
    } catch (err) {
      trace?.figures("s", path, undefined, undefined);
      throw err;
    }
    const stamp = stampOf(stat);
    trace?.figures("s", path, stat, stamp);
    const known = texts.get(path);
    if (stamp !== undefined && known?.stamp === stamp) return known.text;
    const text = readFileSync(path, "utf8");
    if (stamp !== undefined) texts.set(path, { stamp, text });
    return text;
  });
}

/** Parsed Dockerfiles and ignore files, by their text: the same text parses the same. */
const parsed = new Map<string, unknown>();

function parsedOnce<T>(text: string, parse: (text: string) => T): T {
  const key = `${parse.name}\0${text}`;
  if (!parsed.has(key)) {
    // Bounded: a long-lived process whose Dockerfiles keep changing does not keep every version.
    if (parsed.size >= 500) parsed.clear();
    parsed.set(key, parse(text));
  }
  return parsed.get(key) as T;
}

/** An entry's digest; a file's content is read only when its digest is not known for its stamp. */
function fileDigest(entry: Entry): string {
  if (entry.kind !== "file" || entry.content !== undefined || entry.stamp === undefined)
    return entryDigest(entry);
  for (const load of pendingFileDigests) load();
  const path = resolve(entry.source);
  const known = fileDigests.get(path);
  if (known?.stamp === entry.stamp) return known.digest;
  const digestNow = entryDigest(entry);
  fileDigests.set(path, { stamp: entry.stamp, digest: digestNow });
  return digestNow;
}

function entryDigest(entry: Entry): string {
  const hash = createHash("sha256").update(`${entry.kind}\0${entry.mode.toString(8)}\0${entry.linkTarget}\0`);
  if (entry.kind === "file") hash.update(contentOf(entry));
  return hash.digest("hex").slice(0, 16);
}

/** A file's content, read once (synchronously, as above); empty for a folder or a link. */
function contentOf(entry: Entry): Buffer {
  if (entry.content !== undefined) return entry.content;
  if (entry.kind !== "file") return (entry.content = EMPTY);
  try {
    entry.content = readFileSync(entry.source);
  } catch (err) {
    throw new BuildContextError(
      `build context file ${entry.source} cannot be read: ${(err as Error).message}`,
    );
  }
  return entry.content;
}

// ---- tar (ustar, with pax headers for long names) -------------------------------------------------

const BLOCK = 512;

function tarOf(entries: readonly Entry[]): Buffer {
  const chunks: Buffer[] = [];
  for (const entry of entries) {
    const name = entry.kind === "dir" ? `${entry.path}/` : entry.path;
    const pax: Record<string, string> = {};
    if (Buffer.byteLength(name) > 100) pax.path = name;
    if (Buffer.byteLength(entry.linkTarget) > 100) pax.linkpath = entry.linkTarget;
    if (Object.keys(pax).length > 0) {
      const body = paxBody(pax);
      chunks.push(
        header({ name: "././@PaxHeader", mode: 0o644, size: body.length, mtime: 0, type: "x", link: "" }),
      );
      chunks.push(padded(body));
    }
    const content = contentOf(entry);
    const size = entry.kind === "file" ? content.length : 0;
    const type = entry.kind === "file" ? "0" : entry.kind === "dir" ? "5" : "2";
    chunks.push(header({ name, mode: entry.mode, size, mtime: entry.mtime, type, link: entry.linkTarget }));
    if (size > 0) chunks.push(padded(content));
  }
  chunks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(chunks);
}

function paxBody(records: Record<string, string>): Buffer {
  let text = "";
  for (const [key, value] of Object.entries(records)) {
    const record = ` ${key}=${value}\n`;
    // The length counts itself: find the number of digits that fits.
    let length = Buffer.byteLength(record) + 1;
    while (String(length).length + Buffer.byteLength(record) !== length) length++;
    text += `${length}${record}`;
  }
  return Buffer.from(text);
}

function padded(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest)]);
}

function header(h: {
  name: string;
  mode: number;
  size: number;
  mtime: number;
  type: string;
  link: string;
}): Buffer {
  const out = Buffer.alloc(BLOCK, 0);
  const write = (text: string, offset: number, length: number) =>
    out.write(text, offset, Math.min(length, Buffer.byteLength(text)), "utf8");
  const octal = (value: number, length: number) => `${value.toString(8).padStart(length - 1, "0")}\0`;
  write(h.name.slice(0, 100), 0, 100);
  write(octal(h.mode, 8), 100, 8);
  write(octal(0, 8), 108, 8);
  write(octal(0, 8), 116, 8);
  write(octal(h.size, 12), 124, 12);
  write(octal(Math.max(0, h.mtime), 12), 136, 12);
  write("        ", 148, 8);
  write(h.type, 156, 1);
  write(h.link.slice(0, 100), 157, 100);
  write("ustar\0", 257, 6);
  write("00", 263, 2);
  let sum = 0;
  for (const byte of out) sum += byte;
  write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  return out;
}
