import { execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  forgetContextDigests,
  keepContextDigestsIn,
  packBuildContext,
  readBuildContext,
  readBuildContexts,
} from "../../../src/desired/build-context.js";
import type { ResolvedBuild } from "../../../src/map/model.js";
import { folderBuild } from "../../helpers/build-fixtures.js";

/**
 * The digests of context files are kept in the process by what lstat says of them (size, times,
 * inode, mode), so that a no-op update reads no unchanged file. A change must never be missed:
 * not one that keeps the size and puts the modification time back, not one made in the same
 * clock tick as the read before it, not a mode change, and not an ignored file's content.
 */
const root = mkdtempSync(join(tmpdir(), "berth-context-cache-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function context(name: string, files: Record<string, string>): ResolvedBuild {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "Dockerfile"), "FROM base:1\nCOPY . /app/\n");
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return folderBuild(dir);
}

const digestOf = async (build: ResolvedBuild) => (await readBuildContext("app", build)).files;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("context file digests kept by lstat figures", () => {
  it("see a same-size rewrite whose modification time was put back", async () => {
    const build = context("put-back", { "a.txt": "aaaa" });
    const file = join(build.context, "a.txt");
    const WHEN = 1_700_000_000; // a whole second: put back exactly
    utimesSync(file, WHEN, WHEN);
    await sleep(1100); // old enough for its digest to be kept
    const before = await digestOf(build);
    expect(await digestOf(build)).toEqual(before);
    writeFileSync(file, "bbbb");
    utimesSync(file, WHEN, WHEN);
    expect(statSync(file).mtimeMs).toBe(WHEN * 1000);
    expect((await digestOf(build))["a.txt"]).not.toBe(before["a.txt"]);
  });

  it("see a same-size rewrite of the Dockerfile and of .dockerignore whose modification time was put back", async () => {
    const build = context("dockerfile", { ".dockerignore": "a.txt\n", "a.txt": "a", "b.txt": "b" });
    const dockerfile = join(build.context, "Dockerfile");
    const ignore = join(build.context, ".dockerignore");
    const WHEN = 1_700_000_000;
    for (const file of [dockerfile, ignore]) utimesSync(file, WHEN, WHEN);
    await sleep(1100);
    const before = await readBuildContext("app", build);
    expect(Object.keys(before.files)).not.toContain("a.txt");
    writeFileSync(dockerfile, "FROM base:2\nCOPY . /app/\n");
    writeFileSync(ignore, "b.txt\n");
    for (const file of [dockerfile, ignore]) utimesSync(file, WHEN, WHEN);
    const after = await readBuildContext("app", build);
    expect(after.dockerfile).not.toBe(before.dockerfile);
    expect(after.bases).toEqual(["base:2"]);
    expect(Object.keys(after.files)).toContain("a.txt");
    expect(Object.keys(after.files)).not.toContain("b.txt");
  });

  it("see a second same-size write in the same moment as the read before it", async () => {
    const build = context("same-tick", { "a.txt": "aaaa" });
    const before = await digestOf(build);
    writeFileSync(join(build.context, "a.txt"), "bbbb");
    expect((await digestOf(build))["a.txt"]).not.toBe(before["a.txt"]);
  });

  it("see a mode change, and pack the current content after a digest was kept", async () => {
    const build = context("mode", { "run.sh": "echo hi\n" });
    const file = join(build.context, "run.sh");
    chmodSync(file, 0o644);
    await sleep(1100);
    const before = await digestOf(build);
    chmodSync(file, 0o755);
    expect((await digestOf(build))["run.sh"]).not.toBe(before["run.sh"]);
    const { tar } = await packBuildContext("app", build);
    expect(tar.includes(Buffer.from("echo hi\n"))).toBe(true);
  });

  it("read no ignored file: an ignored named pipe is never opened", async () => {
    const build = context("ignored", { ".dockerignore": "*.pipe\n", "a.txt": "a" });
    const pipe = join(build.context, "x.pipe");
    execFileSync("mkfifo", [pipe]);
    // A writer that ends as soon as a reader opens the pipe, else after a second (exit 124).
    const writer = spawn("timeout", ["1", "sh", "-c", `echo x > ${pipe}`], { stdio: "ignore" });
    const ended = new Promise<number | null>((resolve) => writer.once("exit", resolve));
    const files = await digestOf(build);
    expect(Object.keys(files).sort()).toEqual([".dockerignore", "a.txt"]);
    expect(await ended).toBe(124);
  });

  it("are kept in a cache folder for the next process, which still sees a change made in between", async () => {
    const folder = join(root, "cache");
    keepContextDigestsIn(folder);
    try {
      const build = context("saved", { "a.txt": "aaaa", "b.txt": "bb" });
      const file = join(build.context, "a.txt");
      const WHEN = 1_700_000_000;
      utimesSync(file, WHEN, WHEN);
      await sleep(1100);
      const first = await readBuildContexts({ containers: [{ config: "app", image: "app:1", build }] });
      const saved = readdirSync(join(folder, "context-digests-v1"));
      expect(saved).toHaveLength(1);
      // Digests only: no file's content is written (not the Dockerfile's either).
      const text = readFileSync(join(folder, "context-digests-v1", saved[0] as string), "utf8");
      expect(text).not.toContain("aaaa");
      expect(text).not.toContain("base:1");
      const { files } = JSON.parse(text) as { files: string };
      expect(Object.keys(JSON.parse(files) as object).sort()).toEqual([
        join(build.context, "a.txt"),
        join(build.context, "b.txt"),
      ]);
      forgetContextDigests();
      writeFileSync(file, "cccc");
      utimesSync(file, WHEN, WHEN);
      const second = await readBuildContexts({ containers: [{ config: "app", image: "app:1", build }] });
      expect(second["app:1"]?.files["a.txt"]).not.toBe(first["app:1"]?.files["a.txt"]);
      expect(second["app:1"]?.files["b.txt"]).toBe(first["app:1"]?.files["b.txt"]);
    } finally {
      keepContextDigestsIn(undefined);
    }
  });
});
