import {
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { LineCounter, parseDocument } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../../src/cli/main.js";
import { loadMap, type LoadedMap } from "../../../src/load-map.js";
import { formatProblem, MapError, ProblemList } from "../../../src/map/map-error.js";
import { FileParseCache, type ParseCache } from "../../../src/map/parse-cache.js";
import { mapSchemaDigest } from "../../../src/map/schema-validation.js";
import { linePosition, parseYamlSource } from "../../../src/map/yaml-source.js";
import type { YamlTree } from "../../../src/map/yaml-tree.js";

/**
 * The parse cache may only make loading faster: a map loaded from a cached parse tree must be
 * the same map, with the same problems at the same positions, as one parsed from its text.
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const dirs: string[] = [];

function cacheDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "berth-parse-cache-"));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A cache that counts what it answered, over a real FileParseCache. */
function countingCache(dir: string): ParseCache & { hits: number; writes: number } {
  const files = new FileParseCache(dir);
  const cache = {
    hits: 0,
    writes: 0,
    get(text: string) {
      const tree = files.get(text);
      if (tree !== undefined) cache.hits++;
      return tree;
    },
    set(text: string, tree: YamlTree) {
      cache.writes++;
      files.set(text, tree);
    },
  };
  return cache;
}

/** The loaded map's data, or the problems it was rejected with. */
function outcome(load: () => LoadedMap): unknown {
  try {
    const map = load();
    return { normalized: map.normalized, resolved: map.resolved, edges: map.graph.edges() };
  } catch (err) {
    if (err instanceof MapError) return { problems: err.problems.map(formatProblem) };
    throw err;
  }
}

const EXAMPLES = [
  "examples/web-app/berth.yaml",
  "examples/networks/berth.yaml",
  "examples/instances/berth.yaml",
];
const COMPAT = readdirSync(join(ROOT, "../shared/compat/dockermap"))
  .filter((name) => name.endsWith(".yaml") && name !== "docs-clients.yaml")
  .map((name) => `../shared/compat/dockermap/${name}`);
const INVALID = readdirSync(join(ROOT, "test/fixtures/invalid"))
  .filter((name) => name.endsWith(".yaml"))
  .map((name) => `test/fixtures/invalid/${name}`);

function envOf(file: string): Record<string, string> {
  const env: Record<string, string> = { HOME: "/home/someone" };
  for (const line of readFileSync(join(ROOT, file), "utf8").split("\n")) {
    const variable = /^# env: ([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (variable) env[variable[1] as string] = variable[2] as string;
  }
  return env;
}

describe("the parse cache", () => {
  it.each([...EXAMPLES, ...COMPAT, ...INVALID])(
    "%s: the same map or the same problems, parsed or read from the cache",
    (file) => {
      const cache = countingCache(cacheDir());
      const load = (parseCache?: ParseCache) => () =>
        loadMap({ files: [file], cwd: ROOT, env: envOf(file), ...(parseCache ? { parseCache } : {}) });
      const parsed = outcome(load());
      expect(outcome(load(cache))).toEqual(parsed);
      const written = cache.writes;
      expect(outcome(load(cache))).toEqual(parsed);
      // A text the yaml package reported problems in is never kept; any other is read back.
      expect(cache.hits > 0).toBe(written > 0);
    },
    // The alias bomb takes seconds to be found, three times here.
    60_000,
  );

  it("keeps a file's text only: variables are interpolated after the cache, never saved in it", () => {
    const dir = cacheDir();
    const cache = countingCache(dir);
    const text = [
      "name: interp",
      "web:",
      "  image: busybox:${TAG}",
      "  environment:",
      "    DB_PASSWORD: ${DB_PASSWORD}",
      "    PORT: ${PORT}",
    ].join("\n");
    const load = (env: Record<string, string>) =>
      loadMap({ files: ["m.yaml"], texts: { "m.yaml": text }, env, parseCache: cache });
    const first = load({ TAG: "1", DB_PASSWORD: "first-secret-1f2e", PORT: "80" });
    const second = load({ TAG: "2", DB_PASSWORD: "second-secret-9a8b", PORT: "8080" });
    expect(cache.hits).toBe(1);
    expect(first.normalized.containers.web?.image).toBe("busybox:1");
    expect(second.normalized.containers.web?.image).toBe("busybox:2");
    expect(second.normalized.containers.web?.environment).toEqual({
      DB_PASSWORD: "second-secret-9a8b",
      PORT: "8080",
    });
    // An unquoted `${PORT}` still becomes the number it stands for.
    const problems = new ProblemList();
    const source = parseYamlSource("port: ${PORT}\n", "p.yaml", { env: { PORT: "81" }, cache }, problems);
    expect(
      parseYamlSource("port: ${PORT}\n", "p.yaml", { env: { PORT: "82" }, cache }, problems).value,
    ).toEqual({
      port: 82,
    });
    expect(source.value).toEqual({ port: 81 });
    expect(cache.hits).toBe(2);
    const saved = readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((name) => name.endsWith(".json"))
      .map((name) => readFileSync(join(dir, name), "utf8"));
    expect(saved).toHaveLength(2);
    expect(saved.join("")).toContain("${DB_PASSWORD}");
    expect(saved.join("")).not.toContain("first-secret");
    expect(saved.join("")).not.toContain("second-secret");
  });

  it("checks a map's shape again unless its cached text passed this schema without variables", () => {
    const dir = cacheDir();
    const entries = () =>
      readdirSync(join(dir, "parsed-v1")).map(
        (name) => JSON.parse(readFileSync(join(dir, "parsed-v1", name), "utf8")) as { passed?: string },
      );
    const load =
      (text: string, env: Record<string, string> = {}) =>
      () =>
        loadMap({ files: ["m.yaml"], texts: { "m.yaml": text }, env, parseCache: new FileParseCache(dir) });

    // Without variables: remembered as passing this schema.
    const plain = "name: shape\nweb: {image: busybox, exposes: 8080}\n";
    outcome(load(plain));
    expect(entries().map((e) => e.passed)).toEqual([mapSchemaDigest()]);

    // With a variable: never remembered, and checked on every run with the values of that run.
    rmSync(join(dir, "parsed-v1"), { recursive: true });
    const variable = "name: shape\nweb: {image: busybox, exposes: '${PORT}'}\n";
    expect(outcome(load(variable, { PORT: "8080" }))).not.toHaveProperty("problems");
    expect(outcome(load(variable, { PORT: "8080" }))).not.toHaveProperty("problems");
    expect(entries().map((e) => e.passed)).toEqual([undefined]);
    expect(outcome(load(variable, { PORT: "99999" }))).toEqual({
      problems: [expect.stringMatching(/^m\.yaml:2:\d+: .*99999/)],
    });

    // Passed under another schema: checked again (a tree made invalid by hand is caught).
    rmSync(join(dir, "parsed-v1"), { recursive: true });
    outcome(load(plain));
    const [name] = readdirSync(join(dir, "parsed-v1"));
    const path = join(dir, "parsed-v1", name as string);
    const saved = JSON.parse(readFileSync(path, "utf8")) as YamlTree;
    const port = saved.nodes.findIndex((node) => node.k === "s" && node.v === 8080);
    saved.nodes[port] = {
      ...(saved.nodes[port] as YamlTree["nodes"][number]),
      v: 99999,
    } as YamlTree["nodes"][number];
    writeFileSync(path, JSON.stringify({ ...saved, passed: "another schema" }));
    expect(outcome(load(plain))).toEqual({ problems: [expect.stringMatching(/^m\.yaml:2:\d+: .*99999/)] });
  });

  it("reads a damaged or foreign entry as a miss and writes it again", () => {
    const dir = cacheDir();
    const text = "name: damaged\nweb: {image: busybox, links: [db]}\ndb: {image: busybox}\n";
    const load = () =>
      loadMap({ files: ["m.yaml"], texts: { "m.yaml": text }, env: {}, parseCache: new FileParseCache(dir) });
    const expected = outcome(load);
    const entry = () => {
      const [name] = readdirSync(join(dir, "parsed-v1"));
      return join(dir, "parsed-v1", name as string);
    };
    for (const damage of [
      "{",
      "null",
      '{"nodes":[{"k":"x"}],"root":0,"lineStarts":[0]}',
      '{"nodes":[{"k":"q","items":[7]}],"root":0,"lineStarts":[0]}',
      '{"nodes":[],"root":3,"lineStarts":[]}',
    ]) {
      writeFileSync(entry(), damage);
      expect(outcome(load)).toEqual(expected);
      expect(readFileSync(entry(), "utf8")).not.toBe(damage);
    }
  });

  it("loads as before when the cache cannot be written", () => {
    const dir = cacheDir();
    chmodSync(dir, 0o500);
    try {
      const map = loadMap({
        files: ["m.yaml"],
        texts: { "m.yaml": "name: ro\nweb: {image: busybox}\n" },
        env: {},
        parseCache: new FileParseCache(join(dir, "inner")),
      });
      expect(Object.keys(map.normalized.containers)).toEqual(["web"]);
    } finally {
      chmodSync(dir, 0o700);
    }
  });

  it("keeps the newest 64 entries", () => {
    const dir = cacheDir();
    const cache = new FileParseCache(dir);
    const problems = new ProblemList();
    const entries = () => readdirSync(join(dir, "parsed-v1")).filter((name) => name.endsWith(".json"));
    parseYamlSource("first: 0\n", "m.yaml", { env: {}, cache }, problems);
    const [oldest] = entries();
    // Older than any other entry, whatever the clock's resolution.
    utimesSync(join(dir, "parsed-v1", oldest as string), new Date(1_000), new Date(1_000));
    for (let i = 1; i <= 64; i++) parseYamlSource(`key${i}: ${i}\n`, "m.yaml", { env: {}, cache }, problems);
    expect(problems.isEmpty).toBe(true);
    expect(entries()).toHaveLength(64);
    expect(entries()).not.toContain(oldest);
  });

  it("does not keep numbers that JSON cannot hold, and still reads them", () => {
    const cache = countingCache(cacheDir());
    const problems = new ProblemList();
    const text = "a: .nan\nb: -.inf\nc: -0.0\n";
    const source = parseYamlSource(text, "m.yaml", { env: {}, cache }, problems);
    expect(cache.writes).toBe(0);
    const value = source.value as Record<string, number>;
    expect(value.a).toBeNaN();
    expect(value.b).toBe(-Infinity);
    expect(Object.is(value.c, -0)).toBe(true);
  });
});

describe("the CLI's parse cache", () => {
  const run = async (args: string[], env: Record<string, string>) => {
    const err: string[] = [];
    const code = await runCli(args, {
      stdout: { write: () => true },
      stderr: { write: (text: string) => err.push(text) },
      env,
      cwd: ROOT,
    });
    return { code, stderr: err.join("") };
  };
  const entries = (dir: string) =>
    readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((name) => name.endsWith(".json"));

  it("is in BERTH_CACHE_DIR; --no-cache and an empty BERTH_CACHE_DIR leave it alone", async () => {
    const dir = cacheDir();
    const args = ["-f", "examples/web-app/berth.yaml", "validate"];
    expect(await run(["--no-cache", ...args], { BERTH_CACHE_DIR: dir })).toEqual({ code: 0, stderr: "" });
    expect(entries(dir)).toEqual([]);
    expect(await run(args, { BERTH_CACHE_DIR: dir })).toEqual({ code: 0, stderr: "" });
    expect(entries(dir)).toHaveLength(1);
    expect(
      await run(["-f", "examples/networks/berth.yaml", "validate"], { BERTH_CACHE_DIR: "", HOME: dir }),
    ).toEqual({ code: 0, stderr: "" });
    expect(entries(dir)).toHaveLength(1);
  });

  it("defaults to berth/ in XDG_CACHE_HOME", async () => {
    const dir = cacheDir();
    await run(["-f", "examples/web-app/berth.yaml", "validate"], { XDG_CACHE_HOME: dir });
    expect(entries(join(dir, "berth"))).toHaveLength(1);
  });
});

describe("linePosition", () => {
  it("answers as the yaml package's LineCounter for every offset of any text", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("a", " ", "\n", "\r\n", "- ", ": ", "#", "'", "\t"), { maxLength: 60 }),
        (parts) => {
          const text = parts.join("");
          const counter = new LineCounter();
          parseDocument(text, { lineCounter: counter });
          for (let offset = 0; offset <= text.length; offset++) {
            expect(linePosition(counter.lineStarts, offset)).toEqual(counter.linePos(offset));
          }
        },
      ),
    );
  });
});
