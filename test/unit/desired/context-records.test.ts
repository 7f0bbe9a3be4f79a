import fc from "fast-check";
import {
  chmodSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  forgetContextDigests,
  keepContextDigestsIn,
  readBuildContext,
  readBuildContexts,
  type ContextDigest,
} from "../../../src/desired/build-context.js";
import { recordKey, unchangedDigest } from "../../../src/desired/context-records.js";
import type { ResolvedBuild } from "../../../src/map/model.js";
import { folderBuild } from "../../helpers/build-fixtures.js";

/**
 * A folder context read before is not read again while everything its reading saw is unchanged
 * (context-records.ts). These tests hold the shortcut to the full reading: after any one change
 * the digest is the one a fresh reading gives, and a record is kept only of a reading it can
 * trust (no figure within the last second).
 */
const root = mkdtempSync(join(tmpdir(), "berth-context-records-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  keepContextDigestsIn(undefined);
  forgetContextDigests();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Long enough for every figure written before to count as old (build-context.ts: RECENT_MS). */
const AGE = () => sleep(1100);
const DOCKERFILE = "FROM base:1\nCOPY . /app/\n";
const WHEN = 1_700_000_000;

let folders = 0;
function buildOf(files: Record<string, string>, dockerfile = DOCKERFILE): ResolvedBuild {
  const dir = join(root, `c${folders++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "Dockerfile"), dockerfile);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return folderBuild(dir);
}

const keyOf = (build: ResolvedBuild) => recordKey(build.context, build.dockerfile);
const essence = (d: ContextDigest) => ({
  files: d.files,
  filesDigest: d.filesDigest,
  dockerfile: d.dockerfile,
  bases: d.bases,
  instructions: d.instructions,
});

/** The digest a process that never read the context would take. */
async function freshDigest(build: ResolvedBuild) {
  forgetContextDigests();
  return essence(await readBuildContext("app", build));
}

// ---- random contexts and one random change each ---------------------------------------------

interface TreeFile {
  path: string;
  kind: "file" | "link";
  text: string;
  exec: boolean;
}

const FOLDERS = ["", "a/", "a/b/", "c/"];
const NAMES = ["f1", "f2", "x.tmp", "g"];
const IGNORES = ["", "*.tmp\n", "c\n", "a/b\n!a/b/f1\n", "**/f2\n", "a\n"];

const treeFile = fc.record({
  path: fc.tuple(fc.constantFrom(...FOLDERS), fc.constantFrom(...NAMES)).map(([d, n]) => d + n),
  kind: fc.constantFrom<"file" | "link">("file", "file", "link"),
  text: fc.string({ minLength: 1, maxLength: 6, unit: fc.constantFrom("a", "b", "c") }),
  exec: fc.boolean(),
});

type Change =
  | { what: "content" | "mode" | "kind" | "link" | "remove" | "touch"; at: number }
  | { what: "add"; path: string }
  | { what: "ignore"; text: string }
  | { what: "dockerfile" };

const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({
    what: fc.constantFrom("content", "mode", "kind", "link", "remove", "touch" as const),
    at: fc.nat(),
  }) as fc.Arbitrary<Change>,
  fc.record({
    what: fc.constant("add" as const),
    path: fc.tuple(fc.constantFrom(...FOLDERS), fc.constantFrom("new", "f1", "n.tmp")).map(([d, n]) => d + n),
  }),
  fc.record({ what: fc.constant("ignore" as const), text: fc.constantFrom(...IGNORES) }),
  fc.constant({ what: "dockerfile" as const }),
);

const tree = fc.record({
  files: fc.uniqueArray(treeFile, { selector: (f) => f.path, minLength: 1, maxLength: 7 }),
  ignore: fc.constantFrom(...IGNORES),
});

function writeTree(files: readonly TreeFile[], ignore: string): ResolvedBuild {
  const build = buildOf(ignore === "" ? {} : { ".dockerignore": ignore });
  for (const file of files) {
    const full = join(build.context, file.path);
    mkdirSync(dirname(full), { recursive: true });
    if (file.kind === "link") symlinkSync(`t-${file.text}`, full);
    else writeFileSync(full, file.text, { mode: file.exec ? 0o755 : 0o644 });
  }
  return build;
}

/** Same length, other bytes: a change that size alone does not show. */
const other = (text: string) => [...text].map((c) => (c === "a" ? "b" : "a")).join("");

function apply(build: ResolvedBuild, files: readonly TreeFile[], c: Change): void {
  const dir = build.context;
  if (c.what === "add") {
    const full = join(dir, c.path);
    mkdirSync(dirname(full), { recursive: true });
    // Over an existing file: a new inode with other content, as an editor's save-and-rename does.
    writeFileSync(`${full}.new`, "added");
    renameSync(`${full}.new`, full);
  } else if (c.what === "ignore") writeFileSync(join(dir, ".dockerignore"), `${c.text}# changed\n`);
  else if (c.what === "dockerfile") {
    writeFileSync(join(dir, "Dockerfile"), DOCKERFILE.replace("base:1", "base:2"));
    utimesSync(join(dir, "Dockerfile"), WHEN, WHEN);
  } else
    changeFile(
      join(dir, (files[c.at % files.length] as TreeFile).path),
      files[c.at % files.length] as TreeFile,
      c.what,
    );
}

function changeFile(
  full: string,
  file: TreeFile,
  what: "content" | "mode" | "kind" | "link" | "remove" | "touch",
): void {
  switch (what) {
    case "content":
      if (file.kind === "link") {
        unlinkSync(full);
        symlinkSync(`t-${other(file.text)}`, full);
      } else {
        // Same size, and the modification time put back: only the change time tells.
        const before = statSync(full);
        writeFileSync(full, other(file.text));
        utimesSync(full, before.atime, before.mtime);
      }
      return;
    case "mode":
      if (file.kind === "file") chmodSync(full, file.exec ? 0o644 : 0o755);
      else {
        unlinkSync(full);
        symlinkSync(`t-${file.text}`, full); // the same link made again
      }
      return;
    case "kind":
      rmSync(full);
      mkdirSync(full);
      return;
    case "link":
      rmSync(full);
      if (file.kind === "link") writeFileSync(full, `t-${file.text}`);
      else symlinkSync(file.text, full);
      return;
    case "remove":
      rmSync(full);
      return;
    case "touch":
      (file.kind === "link" ? lutimesSync : utimesSync)(full, new Date(), new Date());
      return;
  }
}

describe("whole context records", () => {
  it("give, after any one change, the digest a fresh reading gives", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(tree, change), { minLength: 8, maxLength: 8 }), async (cases) => {
        forgetContextDigests();
        const builds = cases.map(([{ files, ignore }]) => writeTree(files, ignore));
        await AGE();
        const before: ReturnType<typeof essence>[] = [];
        for (const build of builds) before.push(essence(await readBuildContext("app", build)));
        // Every reading was of old figures: each context has a record, which a second reading uses.
        for (const [i, build] of builds.entries()) {
          expect(unchangedDigest(keyOf(build))).toBeDefined();
          expect(essence(await readBuildContext("app", build))).toEqual(before[i]);
        }
        for (const [i, [{ files }, c]] of cases.entries()) apply(builds[i] as ResolvedBuild, files, c);
        const after: ReturnType<typeof essence>[] = [];
        for (const build of builds) after.push(essence(await readBuildContext("app", build)));
        for (const [i, build] of builds.entries()) expect(after[i]).toEqual(await freshDigest(build));
      }),
      { numRuns: 4, endOnFailure: true },
    );
  }, 60_000);

  it("see each kind of change to a context read before", async () => {
    const changes: [string, (dir: string) => void][] = [
      ["a file's content, same size, time put back", (d) => rewriteKeepingTime(join(d, "src/a.txt"), "AAAA")],
      ["a file's mode", (d) => chmodSync(join(d, "src/a.txt"), 0o755)],
      ["a file become a folder", (d) => (rmSync(join(d, "src/a.txt")), mkdirSync(join(d, "src/a.txt")))],
      ["a link's target", (d) => (unlinkSync(join(d, "ln")), symlinkSync("src/b.txt", join(d, "ln")))],
      ["an added file", (d) => writeFileSync(join(d, "src/new.txt"), "n")],
      ["a removed file", (d) => rmSync(join(d, "src/b.txt"))],
      ["a file renamed in its folder", (d) => renameSync(join(d, "src/b.txt"), join(d, "src/c.txt"))],
      ["an ignored file taken back", (d) => writeFileSync(join(d, ".dockerignore"), "*.tmp\n!keep.tmp\n")],
      [
        "the Dockerfile, same size, time put back",
        (d) => rewriteKeepingTime(join(d, "Dockerfile"), DOCKERFILE.replace("1", "2")),
      ],
    ];
    const builds = changes.map(() => {
      const build = buildOf({
        ".dockerignore": "*.tmp\n",
        "src/a.txt": "aaaa",
        "src/b.txt": "b",
        "keep.tmp": "k",
      });
      symlinkSync("src/a.txt", join(build.context, "ln"));
      return build;
    });
    await AGE();
    const before = await Promise.all(builds.map((b) => readBuildContext("app", b)));
    for (const [i, [, make]] of changes.entries()) make((builds[i] as ResolvedBuild).context);
    for (const [i, [name]] of changes.entries()) {
      const build = builds[i] as ResolvedBuild;
      const after = essence(await readBuildContext("app", build));
      expect(after, name).not.toEqual(essence(before[i] as ContextDigest));
      expect(after, name).toEqual(await freshDigest(build));
    }
  });

  it("keep no record of a reading that saw a figure from the last second, and see a write in that second", async () => {
    const build = buildOf({ "a.txt": "aaaa" });
    const first = await readBuildContext("app", build);
    expect(unchangedDigest(keyOf(build))).toBeUndefined();
    writeFileSync(join(build.context, "a.txt"), "bbbb");
    const second = await readBuildContext("app", build);
    expect(second.files["a.txt"]).not.toBe(first.files["a.txt"]);
  });

  it("see a change to the file a linked Dockerfile names, outside the context", async () => {
    const shared = join(root, `shared${folders}`);
    mkdirSync(shared);
    writeFileSync(join(shared, "Dockerfile"), DOCKERFILE);
    const build = buildOf({ "a.txt": "a" });
    rmSync(join(build.context, "Dockerfile"));
    symlinkSync(join(shared, "Dockerfile"), join(build.context, "Dockerfile"));
    await AGE();
    const before = await readBuildContext("app", build);
    expect(unchangedDigest(keyOf(build))).toBeDefined();
    rewriteKeepingTime(join(shared, "Dockerfile"), DOCKERFILE.replace("1", "2"));
    const after = await readBuildContext("app", build);
    expect(after.bases).toEqual(["base:2"]);
    expect(after.dockerfile).not.toBe(before.dockerfile);
  });

  it("are kept for the next process in the cache folder, without any file's content, and used there", async () => {
    const cache = join(root, "cache-records");
    keepContextDigestsIn(cache);
    const build = buildOf({ ".dockerignore": "*.tmp\n", "src/a.txt": "secret-content", "b.tmp": "x" });
    await AGE();
    const map = { containers: [{ config: "app", image: "app:1", build }] };
    const first = await readBuildContexts(map);
    const folder = join(cache, "context-digests-v1");
    const [name] = readdirSync(folder);
    const file = join(folder, name as string);
    const text = readFileSync(file, "utf8");
    for (const content of ["secret-content", "FROM", "base:1", "*.tmp"]) expect(text).not.toContain(content);
    expect(Object.keys((JSON.parse(text) as { contexts: object }).contexts)).toEqual([keyOf(build)]);
    // A new process: the record is loaded and used; nothing changed, so nothing is written.
    forgetContextDigests();
    const written = lstatSync(file).mtimeMs;
    await sleep(20);
    const second = await readBuildContexts(map);
    expect(second).toEqual(first);
    expect(lstatSync(file).mtimeMs).toBe(written);
    // A change in between is seen by the next process, and its record replaced.
    forgetContextDigests();
    writeFileSync(join(build.context, "src/new.txt"), "n");
    const third = await readBuildContexts(map);
    expect(Object.keys(third["app:1"]?.files ?? {})).toContain("src/new.txt");
  });

  it("read the context in full when the saved records are not what berth writes", async () => {
    const cache = join(root, "cache-bad");
    keepContextDigestsIn(cache);
    const build = buildOf({ "a.txt": "a" });
    await AGE();
    const map = { containers: [{ config: "app", image: "app:1", build }] };
    const first = await readBuildContexts(map);
    const folder = join(cache, "context-digests-v1");
    const file = join(folder, readdirSync(folder)[0] as string);
    const saved = JSON.parse(readFileSync(file, "utf8")) as { contexts: Record<string, unknown> };
    for (const bad of [null, { checks: "x" }, { checks: [["l", 1, 2]], digest: {} }]) {
      writeFileSync(file, JSON.stringify({ ...saved, contexts: { [keyOf(build)]: bad } }));
      forgetContextDigests();
      expect(await readBuildContexts(map)).toEqual(first);
    }
  });
});

function rewriteKeepingTime(path: string, text: string): void {
  const before = statSync(path);
  expect(Buffer.byteLength(text)).toBe(before.size);
  writeFileSync(path, text);
  utimesSync(path, before.atime, before.mtime);
}
