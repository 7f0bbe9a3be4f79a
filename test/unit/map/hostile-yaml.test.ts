import { describe, expect, it } from "vitest";
import { loadMap } from "../../../src/load-map.js";
import { formatProblem, MapError } from "../../../src/map/map-error.js";
import { MAX_MAP_CHARS } from "../../../src/map/yaml-limits.js";

/**
 * Maps built to exhaust berth: alias floods and bombs, runaway nesting, huge files, cycles and
 * `extends` chains through thousands of configs. Each must end in positioned problems (never a
 * stack overflow), quickly.
 */

const FILE = "hostile.yaml";

/**
 * The problems loading `text` raises, formatted, and the CPU time it took in milliseconds (not
 * the wall time: the test machine's two cores are shared by many processes).
 */
function load(text: string): { problems: string[]; ms: number } {
  const started = process.cpuUsage();
  const ms = () => {
    const used = process.cpuUsage(started);
    return (used.user + used.system) / 1000;
  };
  try {
    loadMap({ files: [FILE], texts: { [FILE]: text }, env: {} });
  } catch (err) {
    if (!(err instanceof MapError)) throw err;
    return { problems: err.problems.map(formatProblem), ms: ms() };
  }
  return { problems: [], ms: ms() };
}

/** Generous: these run beside other tests; a slow map here once took minutes. */
const SLOW = 60_000;

const IMAGE = "berth-test/base:1";

describe("aliases", { timeout: SLOW }, () => {
  it("expands a list of 20,000 aliases in linear time", () => {
    // Each alias was resolved by walking the whole document: 18 s for 10,000, minutes for 20,000.
    const aliases = Array.from({ length: 20_000 }, () => "    - *d").join("\n");
    const text = `x-d: &d {a: 1}\nweb:\n  image: ${IMAGE}\n  labels:\n    x: y\nx-list:\n${aliases}\n`;
    const { problems, ms } = load(text);
    expect(problems).toEqual([]);
    expect(ms).toBeLessThan(3000);
  });

  it("stops an alias flood at 100,000 expanded values, at the alias that crosses the limit", () => {
    const aliases = Array.from({ length: 20_000 }, () => "  - *ten").join("\n");
    const text = `x-ten: &ten [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nx-list:\n${aliases}\nweb:\n  image: ${IMAGE}\n`;
    const { problems, ms } = load(text);
    expect(problems).toEqual([
      // Each alias expands to 11 values: the 9,091st crosses 100,000.
      `${FILE}:9093:5: the document expands to more than 100000 values through aliases (an alias bomb? reduce the nesting of aliases)`,
    ]);
    expect(ms).toBeLessThan(3000);
  });

  it("does not count values written out in full as alias expansions", () => {
    // 120,000 plain values were reported as "more than 100000 values through aliases".
    const text = `x-data: [${Array.from({ length: 120_000 }, () => "0").join(",")}]\nweb:\n  image: ${IMAGE}\n`;
    expect(load(text).problems).toEqual([]);
  });

  it("stops aliases that nest values deeper than the nesting limit", () => {
    const lines = ["x-0: &a0 [1]"];
    for (let i = 1; i < 100; i++) lines.push(`x-${i}: &a${i} [*a${i - 1}]`);
    const { problems } = load(`${lines.join("\n")}\nweb:\n  image: ${IMAGE}\n`);
    expect(problems[0]).toMatch(/^hostile\.yaml:\d+:\d+: the document is nested more than 64 levels deep/);
  });
});

describe("nesting", { timeout: SLOW }, () => {
  const cases: [string, string, string][] = [
    [
      "1,000 flow lists",
      `web:\n  image: ${IMAGE}\n  labels: ${"[".repeat(1000)}${"]".repeat(1000)}\n`,
      "3:73",
    ],
    ["5,000 flow mappings", `web:\n  labels: ${"{a: ".repeat(5000)}1${"}".repeat(5000)}\n`, "2:259"],
    [
      "700 indented mappings",
      `web:\n  labels:\n${Array.from({ length: 700 }, (_, i) => `${"  ".repeat(i + 2)}k:`).join("\n")}\n`,
      "65:129",
    ],
    ["5,000 compact lists", `web:\n  shares:\n    ${"- ".repeat(5000)}x\n`, "3:129"],
  ];
  for (const [what, text, at] of cases) {
    it(`refuses ${what} at the level past the limit`, () => {
      // These ended in "Maximum call stack size exceeded".
      const { problems, ms } = load(text);
      expect(problems).toEqual([
        `${FILE}:${at}: the document is nested more than 64 levels deep (a container map needs a few levels; look for runaway brackets, indentation or aliases)`,
      ]);
      expect(ms).toBeLessThan(2000);
    });
  }

  it("accepts nesting up to the limit in free-form values", () => {
    const text = `web:\n  image: ${IMAGE}\nx-deep: ${"[".repeat(60)}${"]".repeat(60)}\n`;
    expect(load(text).problems).toEqual([]);
  });
});

describe("size", { timeout: SLOW }, () => {
  it("refuses a file over 1 MiB where the limit falls", () => {
    const line = `    - /data/${"x".repeat(80)}\n`;
    const text = `web:\n  image: ${IMAGE}\n  shares:\n${line.repeat(Math.ceil((5 * MAX_MAP_CHARS) / line.length))}`;
    const { problems, ms } = load(text);
    const limitLine = 3 + Math.ceil((MAX_MAP_CHARS - 33) / line.length);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(
        `^hostile\\.yaml:${limitLine}:\\d+: the map file is larger than 1 MiB \\(\\d+ characters\\)`,
      ),
    );
    expect(ms).toBeLessThan(2000);
  });
});

describe("graphs through thousands of containers", { timeout: SLOW }, () => {
  it("reports a link cycle through 3,000 containers, shortened", () => {
    const n = 3000;
    const text = Array.from(
      { length: n },
      (_, i) => `c${i}:\n  image: ${IMAGE}\n  links: c${(i + 1) % n}\n`,
    ).join("");
    const { problems } = load(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^hostile\.yaml:3:10: dependency cycle: c0 -> c1 -> .* -> c9 -> … \(2990 more\) -> c0 \(c0 links to c1 at hostile\.yaml:3:10; .*; and 2990 more\)$/,
    );
  });

  it("refuses an `extends` chain of 10,000 configs and an `extends` cycle through them", () => {
    const n = 10_000;
    const chain = Array.from({ length: n }, (_, i) =>
      i + 1 < n ? `c${i}:\n  image: ${IMAGE}\n  extends: c${i + 1}\n` : `c${i}:\n  image: ${IMAGE}\n`,
    ).join("");
    const message = `${FILE}:3:12: \`extends\` chain deeper than 64 configs: c0 -> c1 -> c2 -> … -> c63 -> c64 (a config extends a few bases; flatten the chain)`;
    expect(load(chain).problems).toEqual([message]);
    const cycle = Array.from(
      { length: n },
      (_, i) => `c${i}:\n  image: ${IMAGE}\n  extends: c${(i + 1) % n}\n`,
    ).join("");
    expect(load(cycle).problems).toEqual([message]);
  });

  it("still loads a link chain through 3,000 containers", () => {
    const n = 3000;
    const text = Array.from({ length: n }, (_, i) =>
      i + 1 < n ? `c${i}:\n  image: ${IMAGE}\n  links: c${i + 1}\n` : `c${i}:\n  image: ${IMAGE}\n`,
    ).join("");
    expect(load(text).problems).toEqual([]);
  });
});
