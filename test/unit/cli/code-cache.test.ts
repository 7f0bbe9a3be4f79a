import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadBundle } from "../../../src/cli/code-cache.js";
import { commandOf } from "../../../src/cli/early-start.js";
import { usesCache } from "../../../src/cli/executable.js";

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), "berth-code-cache-"));
  folders.push(dir);
  return dir;
}

/** A CommonJS bundle with enough functions for V8 to keep, using what CommonJS gives a module. */
function writeBundle(dir: string, extra = ""): string {
  const file = join(dir, "bundle.cjs");
  const functions = Array.from({ length: 50 }, (_, i) => `function f${i}(x) { return x * ${i} + ${i}; }`);
  writeFileSync(
    file,
    [
      '"use strict";',
      'const { basename } = require("node:path");',
      ...functions,
      `exports.sum = (x) => ${functions.map((_, i) => `f${i}(x)`).join(" + ")};`,
      "exports.where = () => [basename(__filename), basename(__dirname), typeof module.exports];",
      'exports.fail = () => { throw new Error("from line " + (new Error().stack.split("\\n")[1].match(/:(\\d+):/) || [])[1]); };',
      extra,
    ].join("\n"),
  );
  return file;
}

function entries(root: string): string[] {
  try {
    return readdirSync(join(root, "code-v1"));
  } catch {
    return [];
  }
}

interface TestBundle {
  sum(x: number): number;
  where(): string[];
  fail(): never;
}

describe("loadBundle (V8's compiled code kept between runs)", () => {
  it("loads a CommonJS bundle as require would", () => {
    const dir = folder();
    const bundle = loadBundle(writeBundle(dir), undefined, "plan");
    const exports = bundle.exports as TestBundle;
    expect(exports.sum(2)).toBe(Array.from({ length: 50 }, (_, i) => 2 * i + i).reduce((a, b) => a + b));
    expect(exports.where()).toEqual(["bundle.cjs", dir.split("/").at(-1), "object"]);
    // The wrapper takes no line of the bundle's: errors name the bundle's own lines.
    expect(() => exports.fail()).toThrow("from line 55");
    expect(bundle.fromCache).toBe(false);
  });

  it("uses the code a previous run saved, and saves nothing again", () => {
    const dir = folder();
    const root = folder();
    const file = writeBundle(dir);
    const first = loadBundle(file, root, "plan");
    (first.exports as TestBundle).sum(1);
    first.saveCode();
    expect(entries(root)).toHaveLength(1);
    const saved = join(root, "code-v1", entries(root)[0] as string);
    const savedAt = statSync(saved).mtimeMs;

    const second = loadBundle(file, root, "plan");
    expect(second.fromCache).toBe(true);
    expect((second.exports as TestBundle).sum(3)).toBe((first.exports as TestBundle).sum(3));
    second.saveCode();
    expect(statSync(saved).mtimeMs).toBe(savedAt);
    expect(entries(root)).toHaveLength(1);
  });

  it("keeps its entries private to the user", () => {
    const root = folder();
    const bundle = loadBundle(writeBundle(folder()), root, "plan");
    bundle.saveCode();
    expect(statSync(join(root, "code-v1")).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, "code-v1", entries(root)[0] as string)).mode & 0o777).toBe(0o600);
  });

  it("keeps one entry per purpose and per text of the bundle", () => {
    const dir = folder();
    const root = folder();
    const file = writeBundle(dir);
    loadBundle(file, root, "plan").saveCode();
    expect(loadBundle(file, root, "update").fromCache).toBe(false);
    loadBundle(file, root, "update").saveCode();
    expect(entries(root)).toHaveLength(2);
    writeBundle(dir, "exports.more = 1;");
    const changed = loadBundle(file, root, "plan");
    expect(changed.fromCache).toBe(false);
    expect((changed.exports as { more: number }).more).toBe(1);
  });

  it("treats a damaged or empty entry as none and replaces it", () => {
    const root = folder();
    const file = writeBundle(folder());
    loadBundle(file, root, "plan").saveCode();
    const entry = join(root, "code-v1", entries(root)[0] as string);
    const saved = readFileSync(entry);

    const flipped = Buffer.from(saved);
    const at = Math.floor(flipped.length / 2);
    flipped[at] = (flipped[at] as number) ^ 0xff;
    for (const damaged of [
      flipped,
      saved.subarray(0, saved.length - 10),
      saved.subarray(0, 32),
      Buffer.alloc(0),
    ]) {
      writeFileSync(entry, damaged);
      const bundle = loadBundle(file, root, "plan");
      expect(bundle.fromCache).toBe(false);
      expect((bundle.exports as TestBundle).sum(0)).toBe(
        Array.from({ length: 50 }, (_, i) => i).reduce((a, b) => a + b),
      );
      bundle.saveCode();
      expect(loadBundle(file, root, "plan").fromCache).toBe(true);
    }
  });

  it("goes on without a cache it cannot write", () => {
    const root = folder();
    writeFileSync(join(root, "code-v1"), "a file where the folder should be");
    const file = writeBundle(folder());
    const bundle = loadBundle(file, root, "plan");
    expect(() => bundle.saveCode()).not.toThrow();
    const again = loadBundle(file, root, "plan");
    expect(again.fromCache).toBe(false);
    expect((again.exports as TestBundle).where()[0]).toBe("bundle.cjs");
  });

  it("keeps the newest 16 entries", () => {
    const root = folder();
    const file = writeBundle(folder());
    for (let i = 0; i < 18; i++) loadBundle(file, root, `command-${i}`).saveCode();
    expect(entries(root).filter((name) => name.endsWith(".bin"))).toHaveLength(16);
    expect(loadBundle(file, root, "command-17").fromCache).toBe(true);
  });
});

describe("the executable's reading of its command line", () => {
  it.each([
    [["-f", "m.yaml", "update"], "update"],
    [["--no-cache", "--file=m.yaml", "-fo.yaml", "plan", "--json"], "plan"],
    [["-f", "plan", "validate"], "validate"],
    [["--unknown", "plan"], undefined],
    [["--", "plan"], undefined],
    [["--version"], undefined],
    [[], undefined],
  ])("commandOf(%j) = %s", (argv, command) => {
    expect(commandOf(argv)).toBe(command);
  });

  it.each([
    [["plan"], true],
    [["--no-cache", "plan"], false],
    [["plan", "--no-cache"], false],
    [["exec", "--", "--no-cache"], true],
  ])("usesCache(%j) = %s", (argv, uses) => {
    expect(usesCache(argv)).toBe(uses);
  });
});
