/**
 * Hostile maps: each one invalid by construction, written to exhaust or fool the loader — wrong
 * types, numbers out of range, references to nothing, cycles, runaway nesting, alias floods,
 * look-alike characters, huge files. Every one must be refused with FILE:LINE:COL problems, fast,
 * and before anything reaches the engine.
 */
import fc from "fast-check";

export interface HostileMap {
  /** What it attacks, for test names and figures. */
  kind: string;
  text: string;
}

const IMAGE = "berth-test/base:1";
const web = (body: string) => `web:\n  image: ${IMAGE}\n${body}`;

/** Hand-written cases: the issue's list and one of each kind. */
export const HAND_WRITTEN: HostileMap[] = [
  { kind: "range", text: web("  stop_timeout: 1e308\n") },
  { kind: "range", text: web("  stop_timeout: 1e23\n") },
  { kind: "range", text: web("  exposes: {80: 70000}\n") },
  { kind: "range", text: web("  host_config:\n    cpu_shares: 1\n") },
  { kind: "range", text: web("  host_config:\n    mem_limit: 1k\n") },
  { kind: "range", text: web("  user: 4294967296\n") },
  { kind: "range", text: web("  healthcheck:\n    test: [CMD, 'true']\n    retries: -1\n") },
  { kind: "grammar", text: web('  environment:\n    "": x\n') },
  { kind: "grammar", text: web("  environment:\n    A=B: x\n") },
  { kind: "grammar", text: web('  environment:\n    A: "x\\0y"\n') },
  { kind: "grammar", text: web('  network_mode: "container:"\n') },
  { kind: "grammar", text: 'web:\n  image: "a b:c"\n' },
  { kind: "grammar", text: "web:\n  image: Berth-test/base:1\n" },
  { kind: "grammar", text: "Web: {}\n" },
  { kind: "grammar", text: web("  labels:\n    berth.map: x\n") },
  {
    kind: "engine",
    text: `${web("  exposes: {80: 8080}\n")}api:\n  image: ${IMAGE}\n  exposes: {81: 8080}\n`,
  },
  { kind: "engine", text: `name: m\nc${"x".repeat(70)}:\n  image: ${IMAGE}\n` },
  {
    kind: "engine",
    text: `networks: {app: null}\ndb:\n  image: ${IMAGE}\n  networks: [app]\n${web("  links: db\n")}`,
  },
  { kind: "type", text: web("  instances: {a: 1}\n") },
  { kind: "type", text: web("  persistent: maybe\n") },
  { kind: "reference", text: web("  links: nothing\n") },
  { kind: "reference", text: web("  extends: nothing\n") },
  { kind: "yaml", text: "web: [\n" },
  { kind: "yaml", text: "web:\n  image: 'unclosed\n" },
  { kind: "unicode", text: "w\u0435b:\n  image: berth-test/base:1\n" },
  { kind: "unicode", text: "we\u200bb:\n  image: berth-test/base:1\n" },
];

const CONFIGS = ["web", "db", "cache", "worker"];

/** A value of the wrong type for a key that takes something else. */
const wrongType = fc
  .tuple(
    fc.constantFrom(
      "image",
      "persistent",
      "instances",
      "links",
      "exposes",
      "stop_timeout",
      "environment",
      "user",
    ),
    fc.constantFrom("[1, 2]", "{a: {b: c}}", "true", "-7", "null", "3.5"),
  )
  .filter(([key, value]) => !(key === "instances" && value === "[1, 2]"))
  .filter(([key, value]) => !(key === "stop_timeout" && value === "3.5"))
  .filter(([key, value]) => !(key === "user" && value === "[1, 2]"))
  .filter(([key, value]) => !(key === "exposes" && value === "[1, 2]"))
  .filter(([key, value]) => !(["links", "exposes", "environment"].includes(key) && value === "null"))
  .map(([key, value]) => ({ kind: "type", text: web(`  ${key}: ${value}\n`) }));

/** A number out of the range its key takes. */
const outOfRange = fc
  .tuple(
    fc.constantFrom(
      ["stop_timeout", "1e308"],
      ["stop_timeout", "86401"],
      ["exposes", "[0]"],
      ["exposes", "[65536]"],
      ["exposes", "{80: 99999}"],
      ["user", "-1"],
      ["user", "2147483648"],
      ["instances", "[1e300]"],
      ["start_delay", "1e30"],
    ),
  )
  .map(([[key, value]]) => ({ kind: "range", text: web(`  ${key}: ${value}\n`) }));

/** A reference to a config, network or volume that does not exist. */
const danglingReference = fc
  .tuple(
    fc.constantFrom("links", "uses", "depends_on", "network_mode", "networks", "extends"),
    fc.stringMatching(/^zz[a-z]{1,8}$/),
  )
  .map(([key, name]) => ({ kind: "reference", text: web(`  ${key}: ${name}\n`) }));

/** A ring of links (or depends_on) through n configs. */
const cycle = fc
  .tuple(fc.integer({ min: 1, max: 400 }), fc.constantFrom("links", "depends_on", "extends"))
  .map(([n, key]) => ({
    kind: "cycle",
    text: Array.from({ length: n }, (_, i) => `c${i}:\n  image: ${IMAGE}\n  ${key}: c${(i + 1) % n}\n`).join(
      "",
    ),
  }));

/** Nesting past the limit, in flow or block style. */
const nesting = fc
  .tuple(fc.integer({ min: 65, max: 5000 }), fc.constantFrom("flow-list", "flow-map", "block-list"))
  .map(([depth, style]) => {
    const value =
      style === "flow-list"
        ? `${"[".repeat(depth)}${"]".repeat(depth)}`
        : style === "flow-map"
          ? `${"{a: ".repeat(depth)}1${"}".repeat(depth)}`
          : `\n    ${"- ".repeat(depth)}x`;
    return { kind: "nesting", text: web(`  labels: ${value}\n`) };
  });

/** Aliases expanding past 100,000 values, flat or nested. */
const aliases = fc
  .tuple(fc.integer({ min: 10_001, max: 30_000 }), fc.integer({ min: 4, max: 9 }))
  .map(([count, fan]) => {
    if (count % 2 === 0) {
      const list = Array.from({ length: count }, () => "  - *ten").join("\n");
      return {
        kind: "alias",
        text: `x-ten: &ten [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nx-list:\n${list}\n${web("")}`,
      };
    }
    // A "billion laughs": each level repeats the one below `fan` times.
    const levels = [`x-0: &l0 [${Array(fan).fill('"lol"').join(", ")}]`];
    for (let i = 1; i < 10; i++)
      levels.push(
        `x-${i}: &l${i} [${Array(fan)
          .fill(`*l${i - 1}`)
          .join(", ")}]`,
      );
    return { kind: "alias", text: `${levels.join("\n")}\n${web("")}` };
  });

/** A name with a look-alike or invisible character. */
const unicodeName = fc
  .tuple(
    fc.constantFrom(...CONFIGS),
    fc.constantFrom("\u0435", "\u043e", "\u0430", "\u200b", "\u00a0", "\ufeff", "\u2010"),
    fc.nat(),
  )
  .map(([name, char, at]) => {
    const i = 1 + (at % (name.length - 1));
    return { kind: "unicode", text: `${name.slice(0, i)}${char}${name.slice(i)}:\n  image: ${IMAGE}\n` };
  });

/** A file of about 5 MB: a valid start and then far too much. */
const huge = fc.integer({ min: 2, max: 5 }).map((megabytes) => {
  const line = `    - /data/${"x".repeat(90)}\n`;
  return {
    kind: "size",
    text: web(`  shares:\n${line.repeat(Math.ceil((megabytes * 1024 * 1024) / line.length))}`),
  };
});

/** Every kind of hostile map, in proportions that keep a run short (few huge files). */
export const hostileMapArbitrary: fc.Arbitrary<HostileMap> = fc.oneof(
  { arbitrary: wrongType, weight: 4 },
  { arbitrary: outOfRange, weight: 4 },
  { arbitrary: danglingReference, weight: 3 },
  { arbitrary: cycle, weight: 3 },
  { arbitrary: nesting, weight: 3 },
  { arbitrary: aliases, weight: 2 },
  { arbitrary: unicodeName, weight: 3 },
  { arbitrary: huge, weight: 1 },
);

/** n hostile maps: the hand-written ones first, then generated ones (reproducible by seed). */
export function hostileMaps(n: number, seed: number): HostileMap[] {
  const generated = fc.sample(hostileMapArbitrary, { numRuns: Math.max(0, n - HAND_WRITTEN.length), seed });
  return [...HAND_WRITTEN, ...generated].slice(0, n);
}
