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

/** A map of `containers` containers: db, and app's instances that wait for db to be healthy. */
const mapText = (name: string, containers: number) => `
name: ${name}
db:
  image: ${FIXTURE_IMAGES.healthy}
  environment: {BERTH_READY_AFTER: "2"}
  healthcheck: {test: "test -f /tmp/ready", interval: 300ms, timeout: 2s, retries: 1000}
app:
  image: ${FIXTURE_IMAGES.base1}
  instances: [${Array.from({ length: containers - 1 }, (_, i) => `i${String(i + 1).padStart(2, "0")}`).join(", ")}]
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
async function watchStartup(
  columns: number,
  rows: number,
  options: { containers?: number; resize?: { columns: number; rows: number }; args?: string[] } = {},
): Promise<Watched & { map: string; resizedAt: number }> {
  const { containers = 50, resize, args = [] } = options;
  const map = workspace.name(`live${columns}`);
  workspace.write(map, mapText(map, containers));
  const script = join(workspace.dir, `${map}.sh`);
  // The colour codes are not captured (no -e); NO_COLOR would ask for plain lines, so it is unset.
  writeFileSync(
    script,
    `cd ${JSON.stringify(workspace.dir)}
unset NO_COLOR FORCE_COLOR
node ${JSON.stringify(join(REPO_ROOT, "bin/berth.js"))} -f ${map}.yaml startup --wait-timeout 90 ${args.join(" ")}
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
  /** The index in `screens` of the first frame drawn at the new size (the display saw the resize). */
  let resizedAt = -1;
  let resized = false;
  const deadline = Date.now() + 150_000;
  for (;;) {
    const screen = capture();
    const text = screen.join("\n");
    if (screens.length === 0 || screens[screens.length - 1]?.join("\n") !== text) screens.push(screen);
    if (EXIT.test(text) || Date.now() > deadline) break;
    if (resize !== undefined && !resized && screen.some((l) => HEADER.test(l))) {
      tmux("resize-window", "-t", session, "-x", String(resize.columns), "-y", String(resize.rows));
      resized = true;
    } else if (resize !== undefined && resized && resizedAt < 0) {
      const header = screen.find((l) => HEADER.test(l));
      if (header !== undefined && cellsOf(header) < resize.columns) resizedAt = screens.length - 1;
    }
    // Not a multiple of the display's 100 ms: captures fall on different spinner frames.
    await new Promise((resolve) => setTimeout(resolve, 130));
  }
  const last = capture();
  const history = capture("-S", "-");
  const code = Number(EXIT.exec(last.join("\n"))?.[1] ?? -1);
  tmux("kill-session", "-t", session);
  return { map, screens, last, history, code, resizedAt };
}

/** A line of a frame, of the run's summary, or the script's exit line: nothing else is on the screen. */
function isOurs(line: string): boolean {
  return (
    line === "" ||
    ROW.test(line) ||
    HEADER.test(line) ||
    MORE.test(line) ||
    /^\d+ of \d+ step\(s\) done in /.test(line) ||
    EXIT.test(line)
  );
}

/**
 * What a capture made while a frame was being written may also show: the terminal takes a frame
 * in pieces, and log-update erases the lines that change before it writes them again — so a line
 * may be cut short or empty. A piece of another frame (a wrapped row's end: spaces and a timer)
 * is none of these.
 */
function isOursOrPart(line: string): boolean {
  return isOurs(line) || /^ [✔✘⠂⠿⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏-]( |$)|^\[(\+|$)|^…/.test(line);
}

function cellsOf(line: string): number {
  return [...line].length;
}

function checkRun(
  run: Watched,
  columns: number,
  rows: number,
  options: { history?: boolean; containers?: number } = {},
): void {
  const objects = options.containers ?? 50;
  expect(run.code, run.last.join("\n")).toBe(0);
  const frames = run.screens.filter((s) => s.some((l) => HEADER.test(l)));
  expect(frames.length).toBeGreaterThan(3);

  for (const screen of run.screens) {
    // Nothing wider than the pane (no wrapped line), nothing taller than it.
    for (const line of screen) expect(cellsOf(line), line).toBeLessThanOrEqual(columns - 1);
    expect(screen.length).toBeLessThanOrEqual(rows);
    // One frame at a time: one header, one summary at most, no piece of another frame.
    expect(screen.filter((l) => HEADER.test(l))).toHaveLength(screen.some((l) => HEADER.test(l)) ? 1 : 0);
    expect(screen.filter((l) => ROW.test(l)).length).toBeLessThanOrEqual(objects);
    for (const line of screen) expect(isOursOrPart(line), `${line}\n---\n${screen.join("\n")}`).toBe(true);
  }

  // The header counts the containers; the count of finished ones only grows.
  let finished = 0;
  let whole = 0;
  for (const frame of frames) {
    const header = frame.find((l) => HEADER.test(l)) as string;
    const [, done, total] = HEADER.exec(header) as RegExpExecArray;
    expect(Number(total)).toBe(objects);
    expect(Number(done)).toBeGreaterThanOrEqual(finished);
    finished = Number(done);
    // What does not fit is summarised, and rows and summary add up to all objects.
    const shown = frame.filter((l) => ROW.test(l)).length;
    const more = frame.find((l) => MORE.test(l));
    if (more !== undefined) {
      expect(objects + 1).toBeGreaterThan(rows - 1);
      expect(shown + Number(MORE.exec(more)?.[1])).toBe(objects);
      expect(shown + 2).toBe(rows - 1);
      whole++;
    } else {
      expect(shown).toBeLessThanOrEqual(Math.min(objects, rows - 2));
      if (shown === objects) whole++;
    }
  }
  // A capture may fall while a frame is being written (the terminal takes it in pieces): most
  // are whole frames all the same.
  expect(whole).toBeGreaterThan(frames.length / 2);
  // Containers waiting for db say so, and are not marked done.
  const waiting = frames.flat().filter((l) => l.includes("Waiting for db (healthy)"));
  expect(waiting.length).toBeGreaterThan(0);
  for (const line of waiting) expect(line).toMatch(/^ ⠂ /);
  // The spinner moves.
  const spinners = new Set(frames.flat().flatMap((l) => /^ ([⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]) /.exec(l)?.[1] ?? []));
  expect(spinners.size).toBeGreaterThan(1);

  // The last screen: the final frame (all done), the run's summary line, nothing else.
  const lastHeader = run.last.find((l) => HEADER.test(l));
  if (lastHeader !== undefined) expect(lastHeader).toContain(`[+] ${objects}/${objects} done, map `);
  expect(run.last.some((l) => /^\d+ of \d+ step\(s\) done in /.test(l))).toBe(true);
  for (const line of run.last) expect(isOurs(line), line).toBe(true);

  if (options.history === false) return;
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

/** A line of berth's logs, pretty (pino-pretty, one line each), whole: its fields end it. */
const LOG_LINE = /^\[\d\d:\d\d:\d\d\.\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR): .+ \{.*\}$/;
/** The start of one, as a capture made while it was being written may show it. */
const LOG_START = /^\[\d/;

describe("the live display in a terminal (tmux)", () => {
  it("writes the run's log lines (--log-level debug) above the frame, whole, never into it", async () => {
    const containers = 8;
    const run = await watchStartup(110, 30, { containers, args: ["--log-level", "debug"] });
    expect(run.code, run.history.join("\n")).toBe(0);
    const isLog = (line: string) => LOG_LINE.test(line);

    // While it ran: log lines above one frame; below the frame's header, only the frame.
    const frames = run.screens.filter((s) => s.some((l) => HEADER.test(l)));
    expect(frames.length).toBeGreaterThan(3);
    for (const screen of run.screens) {
      const header = screen.findIndex((l) => HEADER.test(l));
      expect(screen.filter((l) => HEADER.test(l)).length, screen.join("\n")).toBeLessThanOrEqual(1);
      // The first line may be the end of a log line wider than the pane, its start scrolled off.
      for (const [index, line] of screen.entries()) {
        if (index === 0 && header !== 0) continue;
        const above = header < 0 || index < header;
        const fits = above ? isLog(line) || LOG_START.test(line) || isOursOrPart(line) : isOursOrPart(line);
        expect(fits, `${line}\n---\n${screen.join("\n")}`).toBe(true);
      }
    }

    // At the end, the scrollback: whole log lines, the final frame once and whole, the summary.
    const history = run.history.filter((l) => l !== "");
    for (const line of history) expect(isLog(line) || isOurs(line), line).toBe(true);
    const logs = history.filter(isLog);
    expect(logs.filter((l) => / INFO: apply started /.test(l))).toHaveLength(1);
    expect(logs.filter((l) => / INFO: apply finished /.test(l))).toHaveLength(1);
    expect(logs.filter((l) => / DEBUG: step done /.test(l)).length).toBeGreaterThanOrEqual(containers * 2);
    expect(logs.filter((l) => / DEBUG: engine /.test(l)).length).toBeGreaterThan(containers * 2);
    const header = history.findIndex((l) => HEADER.test(l));
    expect(history.filter((l) => HEADER.test(l))).toEqual([
      expect.stringMatching(new RegExp(`^\\[\\+\\] ${containers}/${containers} done`)),
    ]);
    const frame = history.slice(header + 1, header + 1 + containers);
    expect(
      frame.every((l) => /^ ✔ Container /.test(l)),
      frame.join("\n"),
    ).toBe(true);
    expect(history.filter((l) => ROW.test(l))).toHaveLength(containers);
    // Every log line of the run is above the frame (a lock release's may follow it), none inside.
    expect(history.indexOf(logs.find((l) => / INFO: apply finished /.test(l)) as string)).toBeLessThan(
      header,
    );
    expect(history.slice(-2)).toEqual([
      expect.stringMatching(/^(\d+) of \1 step\(s\) done in /),
      "BERTH-EXIT=0",
    ]);
    expect(await mapContainers(workspace.engine, run.map)).toHaveLength(containers);
  }, 200_000);

  it("starts 50 containers in 70×12: clipped, summarised, a clean screen and scrollback", async () => {
    const run = await watchStartup(70, 12);
    checkRun(run, 70, 12);
    expect(await mapContainers(workspace.engine, run.map)).toHaveLength(50);
  }, 200_000);

  it("starts 50 containers in 160×40", async () => {
    const run = await watchStartup(160, 40);
    checkRun(run, 160, 40);
  }, 200_000);

  it("draws again at the new size when the terminal gets narrower", async () => {
    // Few enough rows that the terminal's rewrapping of the last frame does not fill the screen:
    // what is left of it would show below the frame drawn again.
    const run = await watchStartup(120, 40, { containers: 12, resize: { columns: 60, rows: 40 } });
    expect(run.resizedAt, "the run ended before the resize").toBeGreaterThan(0);
    // From a moment after the resize on, every screen is a frame of the new size.
    checkRun({ ...run, screens: run.screens.slice(run.resizedAt) }, 60, 40, {
      history: false,
      containers: 12,
    });
    expect(run.last.filter((l) => l !== "")).toHaveLength(12 + 1 + 2);
  }, 200_000);
});
