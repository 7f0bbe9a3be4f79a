import { expect } from "vitest";
import { loadMap } from "../../src/load-map.js";
import { formatProblem, MapError } from "../../src/map/map-error.js";

/** The file name the maps below are loaded under (problems start `m.yaml:LINE:COL: `). */
export const PROBLEM_FILE = "m.yaml";

/** The problems loading `text` reports, formatted `FILE:LINE:COL: message (hint)`; none when it loads. */
export function problemsOf(text: string): string[] {
  try {
    loadMap({ files: [PROBLEM_FILE], texts: { [PROBLEM_FILE]: text }, env: {} });
  } catch (err) {
    if (!(err instanceof MapError)) throw err;
    return err.problems.map(formatProblem);
  }
  return [];
}

/** One problem, at `at` (`LINE:COL`), whose text contains each of `words` (message and hint). */
export function expectOne(text: string, at: string, ...words: string[]): void {
  const problems = problemsOf(text);
  expect(problems, problems.join("\n")).toHaveLength(1);
  expect(problems[0]?.startsWith(`${PROBLEM_FILE}:${at}: `), problems[0]).toBe(true);
  for (const word of words) expect(problems[0]).toContain(word);
}

export function expectLoads(text: string): void {
  expect(problemsOf(text)).toEqual([]);
}

/** A map of one config `web` on the base fixture image, with `body` (indented lines) added. */
export const web = (body: string) => `web:\n  image: berth-test/base:1\n${body}`;
