import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/cli.js";
import { FIXTURE_IMAGES, mapContainers } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";

/**
 * Issue 17, "Live progress worth watching": the built CLI (bin/berth.js) in a real terminal —
 * tmux, at 70×12 and at 160×40 — starts 50 containers, 49 of them waiting for the 50th to be
 * healthy. Screens are read with `tmux capture-pane` while it runs and at its end (with the
 * scrollback): counts, clipping to the terminal, the summary of what does not fit, the words of
 * a waiting container, a clean last screen and no leftovers of earlier frames in the scrollback.
 */
const workspace = mapWorkspace("live");
/** A tmux server of this file's own (`-L`): the test ends it, and no other. */
const socket = `berth-live-${randomBytes(3).toString("hex")}`;
const tmux = (...args: string[]) =>
  execFileSync("tmux", ["-L", socket, ...args], {
    encoding: "utf8",
    timeout: 10_000,
    stdio: ["ignore", "pipe", "pipe"],
  });

afterAll(() => {
  try {
    tmux("kill-server");
  } catch {
    // Already gone.
  }
});

const INSTANCES = Array.from({ length: 49 }, (_, i) => `i${String(i + 1).padStart(2, "0")}`);
const mapText = (name: string) => `
name: ${name}
db:
  image: ${FIXTURE_IMAGES.healthy}
  environment: {BERTH_READY_AFTER: "2"}
  healthcheck: {test: "test -f /tmp/ready", interval: 300ms, timeout: 2s, retries: 1000}
app:
  image: ${FIXTURE_IMAGES.base1}
  instances: [${INSTANCES.join(", ")}]
  depends_on: {db: {condition: healthy}}
`;

const HEADER = /^\[\+\] (\d+)\/(\d+) (running|done), map /;
const ROW = /^ [✔✘⠂⠿⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏-] (Container|Network|Volume|Image) /;
const MORE = /^… and (\d+) more/;
const EXIT = /^BERTH-EXIT=(\d+)$/m;

interface Watched {
  /** Every distinct screen seen while the run went on (lines, trailing blanks cut). */
  screens: string[][];
  /** The screen once berth exited, and the whole pane's history with it. */
  last: string[];
  history: string[];
  code: number;
}

/** Runs `berth startup` of a fresh map in a tmux pane of the given size and watches its screens. */
async function watchStartup(columns: number, rows: number): Promise<Watched & { map: string }> {
  const map = workspace.name(`live${columns}`);
  workspace.write(map, mapText(map));
  const script = join(workspace.dir, `${map}.sh`);
  // The colour codes are not captured (no -e); NO_COLOR would ask for plain lines, so it is unset.
  writeFileSync(
    script,
    `cd ${JSON.stringify(workspace.dir)}
unset NO_COLOR FORCE_COLOR
node ${JSON.stringify(join(REPO_ROOT, "bin/berth.js"))} -f ${map}.yaml startup --wait-timeout 90
echo "BERTH-EXIT=$?"
sleep 600
`,
  );
  const session = `w${columns}`;
  tmux("new-session", "-d", "-s", session, "-x", String(columns), "-y", String(rows), `sh ${script}`);
  // -J joins lines the terminal wrapped: a line wider than the pane shows as one long line.
  const capture = (...extra: string[]) =>
    tmux("capture-pane", "-p", "-J", "-t", session, ...extra)
      .replace(/\s+$/, "")
      .split("\n")
      .map((l) => l.trimEnd());
  const screens: string[][] = [];
  const deadline = Date.now() + 150_000;
  for (;;) {
    const screen = capture();
    const text = screen.join("\n");
    if (screens.length === 0 || screens[screens.length - 1]?.join("\n") !== text) screens.push(screen);
    if (EXIT.test(text) || Date.now() > deadline) break;
    // Not a multiple of the display's 100 ms: captures fall on different spinner frames.
    await new Promise((resolve) => setTimeout(resolve, 130));
  }
  const last = capture();
  const history = capture("-S", "-");
  const code = Number(EXIT.exec(last.join("\n"))?.[1] ?? -1);
  tmux("kill-session", "-t", session);
  return { map, screens, last, history, code };
}

function cellsOf(line: string): number {
  return [...line].length;
}

function checkRun(run: Watched, columns: number, rows: number): void {
  expect(run.code, run.last.join("\n")).toBe(0);
  const frames = run.screens.filter((s) => s.some((l) => HEADER.test(l)));
  expect(frames.length).toBeGreaterThan(3);

  for (const screen of run.screens) {
    // Nothing wider than the pane (no wrapped line), nothing taller than it.
    for (const line of screen) expect(cellsOf(line), line).toBeLessThanOrEqual(columns - 1);
    expect(screen.length).toBeLessThanOrEqual(rows);
    // One frame at a time: one header, one summary at most.
    expect(screen.filter((l) => HEADER.test(l))).toHaveLength(screen.some((l) => HEADER.test(l)) ? 1 : 0);
  }

  // The header counts the 50 containers; the count of finished ones only grows.
  let finished = 0;
  for (const frame of frames) {
    const header = frame.find((l) => HEADER.test(l)) as string;
    const [, done, total] = HEADER.exec(header) as RegExpExecArray;
    expect(Number(total)).toBe(50);
    expect(Number(done)).toBeGreaterThanOrEqual(finished);
    finished = Number(done);
    // What does not fit is summarised, and rows and summary add up to all objects.
    const shown = frame.filter((l) => ROW.test(l)).length;
    const more = frame.find((l) => MORE.test(l));
    if (51 > rows - 1) {
      expect(more, frame.join("\n")).toBeDefined();
      expect(shown + Number(MORE.exec(more as string)?.[1])).toBe(50);
      expect(shown + 2).toBe(rows - 1);
    }
  }
  // Containers waiting for db say so, and are not marked done.
  const waiting = frames.flat().filter((l) => l.includes("Waiting for db (healthy)"));
  expect(waiting.length).toBeGreaterThan(0);
  for (const line of waiting) expect(line).toMatch(/^ ⠂ /);
  // The spinner moves.
  const spinners = new Set(frames.flat().flatMap((l) => /^ ([⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]) /.exec(l)?.[1] ?? []));
  expect(spinners.size).toBeGreaterThan(1);

  // The last screen: the final frame (all done), the run's summary line, nothing else.
  const lastHeader = run.last.find((l) => HEADER.test(l));
  if (lastHeader !== undefined) expect(lastHeader).toMatch(/^\[\+\] 50\/50 done, map /);
  expect(run.last.some((l) => /^\d+ of \d+ step\(s\) done in /.test(l))).toBe(true);
  for (const line of run.last)
    expect(
      line === "" ||
        ROW.test(line) ||
        HEADER.test(line) ||
        MORE.test(line) ||
        /step\(s\) done in|^BERTH-EXIT/.test(line),
      line,
    ).toBe(true);

  // The scrollback holds the final frame once: no earlier frame, no part of one.
  const history = run.history.filter((l) => l !== "");
  expect(history.filter((l) => HEADER.test(l))).toEqual([expect.stringMatching(/^\[\+\] 50\/50 done/)]);
  expect(history.filter((l) => MORE.test(l))).toHaveLength(1);
  expect(history.filter((l) => ROW.test(l))).toHaveLength(rows - 3);
  expect(history.filter((l) => ROW.test(l)).every((l) => l.startsWith(" ✔ "))).toBe(true);
  expect(history.filter((l) => !(ROW.test(l) || HEADER.test(l) || MORE.test(l)))).toEqual([
    expect.stringMatching(/^(\d+) of \1 step\(s\) done in /),
    "BERTH-EXIT=0",
  ]);
}

describe("the live display in a terminal (tmux)", () => {
  it("starts 50 containers in 70×12: clipped, summarised, a clean screen and scrollback", async () => {
    const run = await watchStartup(70, 12);
    checkRun(run, 70, 12);
    expect(await mapContainers(workspace.engine, run.map)).toHaveLength(50);
  }, 200_000);

  it("starts 50 containers in 160×40", async () => {
    const run = await watchStartup(160, 40);
    checkRun(run, 160, 40);
  }, 200_000);
});
