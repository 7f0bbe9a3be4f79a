import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { CliIo } from "../../../src/cli/cli-io.js";
import { runCli } from "../../../src/cli/main.js";
import { loadMap } from "../../../src/load-map.js";
import { formatProblem, MapError } from "../../../src/map/map-error.js";

/**
 * The invalid-map corpus: every file in test/fixtures/invalid is a map with problems. Its leading
 * comment lines say what berth must print, one `# expect: FILE:LINE:COL: message (hint)` line per
 * problem in order, with `{file}` standing for the path as given; `# env: NAME=value` lines are the
 * only variables the map is interpolated with.
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DIR = "test/fixtures/invalid";

interface Fixture {
  name: string;
  /** Repo-relative path, as passed to loadMap and to `berth -f`. */
  path: string;
  expected: string[];
  env: Record<string, string>;
}

function readFixture(name: string): Fixture {
  const path = `${DIR}/${name}`;
  const text = readFileSync(`${ROOT}${path}`, "utf8");
  const expected: string[] = [];
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (!line.startsWith("#")) break;
    const expect = /^# expect: (.*)$/.exec(line);
    if (expect) expected.push((expect[1] as string).replaceAll("{file}", path));
    const variable = /^# env: ([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (variable) env[variable[1] as string] = variable[2] as string;
  }
  return { name, path, expected, env };
}

const fixtures = readdirSync(`${ROOT}${DIR}`)
  .filter((name) => /^\d\d-[a-z0-9-]+\.yaml$/.test(name))
  .sort()
  .map(readFixture);

/** What loadMap raised, as formatted problem lines; anything but a MapError fails the test. */
function problemsOf(fixture: Fixture): string[] {
  let caught: unknown;
  try {
    loadMap({ files: [fixture.path], env: fixture.env, cwd: ROOT });
  } catch (err) {
    caught = err;
  }
  expect(caught, "loadMap should reject the map").toBeDefined();
  if (!(caught instanceof MapError)) {
    throw new Error(`loadMap threw something other than a MapError: ${String(caught)}`, { cause: caught });
  }
  return caught.problems.map(formatProblem);
}

interface CapturedIo extends CliIo {
  out: string[];
  err: string[];
}

function captureIo(env: Record<string, string>): CapturedIo {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
    env,
    cwd: ROOT,
  };
}

describe("invalid maps (test/fixtures/invalid)", () => {
  it("has a corpus of at least 45 fixtures, each naming its expected problems", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(45);
    for (const fixture of fixtures) {
      expect(fixture.expected.length, `${fixture.name} has no # expect: line`).toBeGreaterThan(0);
    }
  });

  for (const fixture of fixtures) {
    it(fixture.name, async () => {
      expect(problemsOf(fixture)).toEqual(fixture.expected);

      const io = captureIo(fixture.env);
      const code = await runCli(["-f", fixture.path, "validate"], io);
      const stderr = io.err.join("");
      expect(io.out.join("")).toBe("");
      expect(stderr.startsWith(`${fixture.expected.join("\n")}\n`), `stderr was:\n${stderr}`).toBe(true);
      expect(stderr).not.toContain("    at ");
      expect(code).toBe(1);
    });
  }
});
