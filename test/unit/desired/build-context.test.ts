import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { packBuildContext, readBuildContext } from "../../../src/desired/build-context.js";
import { baseImages, instructionOfStep, parseDockerfile } from "../../../src/desired/dockerfile.js";
import { isIgnored, parseDockerignore } from "../../../src/desired/dockerignore.js";
import { folderBuild } from "../../helpers/build-fixtures.js";

const ignored = (rules: string, path: string) => isIgnored(path, parseDockerignore(rules));

describe(".dockerignore rules", () => {
  it("anchor patterns at the context's root, unlike .gitignore", () => {
    expect(ignored("*.log", "a.log")).toBe(true);
    expect(ignored("*.log", "sub/a.log")).toBe(false);
    expect(ignored("/sub/a.log", "sub/a.log")).toBe(true);
    expect(ignored("**/*.log", "sub/deep/a.log")).toBe(true);
    expect(ignored("**/*.log", "a.log")).toBe(true);
  });

  it("match what is inside a matched folder, and keep * and ? within one path part", () => {
    expect(ignored("node_modules", "node_modules/x/index.js")).toBe(true);
    expect(ignored("sub/*", "sub/deep/file")).toBe(true);
    expect(ignored("s?b", "sub/file")).toBe(true);
    expect(ignored("s*", "x/sub")).toBe(false);
    expect(ignored("a/**", "a/b/c")).toBe(true);
    expect(ignored("a/**/z", "a/z")).toBe(true);
    expect(ignored("a/**/z", "a/b/c/z")).toBe(true);
  });

  it("let the last matching rule decide, `!` taking a path back", () => {
    const rules = "*.md\n!README.md\n";
    expect(ignored(rules, "CHANGES.md")).toBe(true);
    expect(ignored(rules, "README.md")).toBe(false);
    expect(ignored("docs\n!docs/keep.txt\n", "docs/keep.txt")).toBe(false);
    expect(ignored("docs\n!docs/keep.txt\n", "docs/other.txt")).toBe(true);
    expect(ignored("!a.txt\n*.txt\n", "a.txt")).toBe(true);
  });

  it("skip comments and blank lines, clean paths, and treat regex characters literally", () => {
    const rules = "# a comment\n\n  ./build/../dist  \nfile.(1)+\n[ab].txt\n";
    expect(ignored(rules, "dist/x")).toBe(true);
    expect(ignored(rules, "# a comment")).toBe(false);
    expect(ignored(rules, "file.(1)+")).toBe(true);
    expect(ignored(rules, "fileX(1)+")).toBe(false);
    expect(ignored(rules, "a.txt")).toBe(true);
    expect(ignored(rules, "c.txt")).toBe(false);
  });
});

describe("Dockerfile reading", () => {
  const text = [
    "# syntax note",
    "ARG BASE=berth-test/base:1",
    "FROM $BASE AS deps",
    "RUN echo one \\",
    "    two",
    "",
    "FROM deps",
    "COPY --from=deps /x /y",
    "FROM scratch AS final",
    'CMD ["x"]',
  ].join("\n");

  it("numbers instructions by the line they start on, continuations joined", () => {
    const instructions = parseDockerfile(text);
    expect(instructions.map((i) => `${i.line} ${i.keyword}`)).toEqual([
      "2 ARG",
      "3 FROM",
      "4 RUN",
      "7 FROM",
      "8 COPY",
      "9 FROM",
      "10 CMD",
    ]);
    expect(instructions[2]?.args).toBe("echo one  two");
    // The classic builder counts every instruction, an ARG before the first FROM too.
    expect(instructionOfStep(instructions, 3)?.line).toBe(4);
  });

  it("names the base images: not stages, not scratch, ARG defaults and build args substituted", () => {
    const instructions = parseDockerfile(text);
    expect(baseImages(instructions, {})).toEqual(["berth-test/base:1"]);
    expect(baseImages(instructions, { BASE: "berth-test/base:2" })).toEqual(["berth-test/base:2"]);
    const two = parseDockerfile("FROM a:1 AS one\nFROM b:1 AS two\nFROM c:1\n");
    expect(baseImages(two, {}, "one")).toEqual(["a:1"]);
    expect(baseImages(two, {})).toEqual(["a:1", "b:1", "c:1"]);
  });
});

describe("build contexts", () => {
  const root = mkdtempSync(join(tmpdir(), "berth-context-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const build = folderBuild;

  function folder(name: string): string {
    const dir = join(root, name);
    mkdirSync(join(dir, "app", "logs"), { recursive: true });
    writeFileSync(join(dir, "Dockerfile"), "FROM berth-test/base:1\nCOPY app /app\n");
    writeFileSync(join(dir, ".dockerignore"), "app/logs\nDockerfile\n");
    writeFileSync(join(dir, "app", "main.py"), "print(1)\n");
    writeFileSync(join(dir, "app", "logs", "x.log"), "noise\n");
    return dir;
  }

  it("digests the files .dockerignore selects, the Dockerfile apart, and always sends both", async () => {
    const dir = folder("select");
    const digest = await readBuildContext("web", build(dir));
    expect(Object.keys(digest.files).sort()).toEqual([".dockerignore", "app", "app/main.py"]);
    expect(digest.bases).toEqual(["berth-test/base:1"]);
    const { tar } = await packBuildContext("web", build(dir));
    const listed = spawnSync("tar", ["-tf", "-"], { input: tar }).stdout.toString().trim().split("\n");
    expect(listed.sort()).toEqual([".dockerignore", "Dockerfile", "app/", "app/main.py"]);
  });

  it("changes with content, mode and link target, not with an ignored file", async () => {
    const dir = folder("changes");
    const first = await readBuildContext("web", build(dir));
    writeFileSync(join(dir, "app", "logs", "x.log"), "more noise\n");
    expect((await readBuildContext("web", build(dir))).filesDigest).toBe(first.filesDigest);
    chmodSync(join(dir, "app", "main.py"), 0o755);
    const moded = await readBuildContext("web", build(dir));
    expect(moded.files["app/main.py"]).not.toBe(first.files["app/main.py"]);
    symlinkSync("main.py", join(dir, "app", "link"));
    const linked = await readBuildContext("web", build(dir));
    expect(Object.keys(linked.files)).toContain("app/link");
    writeFileSync(join(dir, "Dockerfile"), "FROM berth-test/base:2\n");
    const rewritten = await readBuildContext("web", build(dir));
    expect(rewritten.dockerfile).not.toBe(first.dockerfile);
    expect(rewritten.filesDigest).toBe(linked.filesDigest);
  });

  it("packs long names with pax headers that tar reads back", async () => {
    const dir = join(root, "long");
    const deep = join(dir, "a".repeat(60), "b".repeat(60));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(dir, "Dockerfile"), "FROM scratch\n");
    writeFileSync(join(deep, `${"c".repeat(40)}.txt`), "x");
    const { tar } = await packBuildContext("web", build(dir));
    const listed = spawnSync("tar", ["-tf", "-"], { input: tar }).stdout.toString();
    expect(listed).toContain(`${"a".repeat(60)}/${"b".repeat(60)}/${"c".repeat(40)}.txt`);
  });

  it("names the config and the folder when the context or its Dockerfile is missing", async () => {
    await expect(readBuildContext("web", build(join(root, "nowhere")))).rejects.toThrow(
      /config web: build context .*nowhere is not a folder/,
    );
    mkdirSync(join(root, "empty"));
    await expect(readBuildContext("web", build(join(root, "empty")))).rejects.toThrow(
      /config web: .*Dockerfile Dockerfile cannot be read/,
    );
  });
});
