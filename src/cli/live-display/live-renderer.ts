import type { ProgressEvent } from "../../apply/progress-events.js";
import { logUpdateLibrary } from "../../common/lazy-modules.js";
import { painter } from "../../plan/render-plan.js";
import { useColor, type CliIo } from "../cli-io.js";
import { DisplayModel } from "./display-model.js";
import { cells, clean, renderFrame, type TerminalSize } from "./frame.js";

/** What a terminal's stderr has besides `write` (process.stderr on a TTY): its size, and resizes. */
interface TerminalStream {
  columns?: number;
  rows?: number;
  on?(event: "resize", listener: () => void): unknown;
  off?(event: "resize", listener: () => void): unknown;
}

export interface LiveDisplay {
  listener(event: ProgressEvent): void;
  /** Draws the last frame, leaves it on the screen, and lets the terminal go (cursor shown). */
  finish(): void;
}

/** Lines `lines` take once a terminal `columns` wide wrapped them. */
export function wrappedHeight(lines: readonly string[], columns: number): number {
  return lines.reduce(
    (sum, line) => sum + Math.max(1, Math.ceil(cells(clean(line)) / Math.max(1, columns))),
    0,
  );
}

/** Erases the cursor's line and `count` lines above it, and leaves the cursor at the top one's start. */
function eraseLinesAbove(count: number): string {
  return `${"\u001b[2K\u001b[1A".repeat(count)}\u001b[2K\u001b[G`;
}

/** How often the frame is drawn again while the run goes on (spinner, timers, new events). */
const REFRESH_MS = 100;

/**
 * The live display on a terminal: the run's model (display-model.ts) drawn as frames
 * (frame.ts) in place by log-update, which erases the last frame's lines before it writes the
 * next. Frames are drawn on a timer rather than on every event: fifty containers make hundreds
 * of events in a second. A resize draws at once, at the new size.
 *
 * From the run's start to finish() the display owns stderr: anything else written to `io.stderr`
 * meanwhile (the logs of `--log-level`, an error) goes above the frame, whole lines only — the
 * frame erased, the lines written at once (an error just before the process ends is not lost),
 * the frame drawn again below them at the next turn of the event loop, so that a burst of lines
 * costs one redraw. Written as they came, they would land inside the frame, and the next frame,
 * erasing the lines it counts as its own, would erase them or leave pieces of itself among them.
 * A line left unfinished at the end is written after the last frame.
 */
export function liveDisplay(
  io: CliIo,
  options: { refreshMs?: number; now?: () => number } = {},
): LiveDisplay {
  const now = options.now ?? Date.now;
  const terminal = io.stderr as CliIo["stderr"] & TerminalStream;
  const update = logUpdateLibrary().createLogUpdate(terminal as unknown as NodeJS.WriteStream, {
    defaultWidth: 80,
    defaultHeight: 24,
  });
  const paint = painter(useColor(io));
  const model = new DisplayModel();
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let finished = false;
  /** The frame on the screen, and the width it was drawn for. */
  let shown: { lines: string[]; columns: number } | undefined;
  /** What others wrote on stderr while the display owned it, not yet written: an unfinished line. */
  let held = "";
  let redrawQueued = false;
  /** Gives stderr back to the CLI (set while the display owns it). */
  let giveBackStderr: (() => void) | undefined;

  const size = (): TerminalSize => ({ columns: terminal.columns ?? 80, rows: terminal.rows ?? 24 });
  const draw = (final = false) => {
    writeHeldLinesAbove();
    const at = now();
    const end = model.endedAt ?? at;
    const frame = renderFrame(
      {
        map: model.map,
        counts: model.counts(),
        rows: model.rows(at),
        ...(model.startedAt === undefined ? {} : { elapsedMs: end - model.startedAt }),
        final,
        now: at,
      },
      size(),
      paint,
    );
    update(frame.join("\n"));
    shown = { lines: frame, columns: size().columns };
  };
  /** The whole lines held, written where the frame is (erased first): the frame is drawn after. */
  function writeHeldLinesAbove(): boolean {
    const end = held.lastIndexOf("\n") + 1;
    if (end === 0) return false;
    update.clear();
    shown = undefined;
    terminal.write(held.slice(0, end));
    held = held.slice(end);
    return true;
  }
  const redraw = () => {
    redrawQueued = false;
    if (giveBackStderr !== undefined) draw();
  };
  const takeStderr = () => {
    const own = io.stderr;
    io.stderr = {
      ...(own.isTTY === undefined ? {} : { isTTY: own.isTTY }),
      write(text: string) {
        held += text;
        if (writeHeldLinesAbove() && !redrawQueued) {
          redrawQueued = true;
          setImmediate(redraw);
        }
        return true;
      },
    };
    giveBackStderr = () => {
      io.stderr = own;
      giveBackStderr = undefined;
    };
  };
  const onResize = () => {
    if (!started || finished) return;
    const columns = size().columns;
    if (shown !== undefined && columns < shown.columns) {
      // Narrower: most terminals (tmux, VTE, iTerm2, Windows Terminal) wrap the lines already
      // drawn again, so the last frame now takes more lines than log-update counts, and what it
      // did not erase would stay above the next frame. Erase as many as the frame takes now (a
      // terminal that cuts lines instead, as xterm does, loses as many lines above the frame from
      // its screen), and start afresh.
      terminal.write(eraseLinesAbove(wrappedHeight(shown.lines, columns)));
      update.done();
    }
    draw();
  };
  // The first Ctrl-C writes a notice below the frame (main.ts): the frame drawn before it stays
  // where it is, and the next one is drawn below the notice rather than over it.
  const onAbort = () => update.done();

  const stopTicking = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  // Kept until finish(): a Ctrl-C or a resize between the run's end and its last frame (the
  // lock is released meanwhile) must not leave that frame drawn over the wrong lines.
  const release = () => {
    stopTicking();
    terminal.off?.("resize", onResize);
    io.signal?.removeEventListener("abort", onAbort);
  };

  return {
    listener(event) {
      model.apply(event);
      switch (event.type) {
        case "run-start":
          started = true;
          takeStderr();
          timer = setInterval(() => draw(), options.refreshMs ?? REFRESH_MS);
          timer.unref();
          terminal.on?.("resize", onResize);
          io.signal?.addEventListener("abort", onAbort);
          draw();
          return;
        case "lock-wait":
          // Before the run starts: a line of its own (the frame, if any, drawn again below it).
          held += `waiting for the lock of map ${event.map}, held by ${event.holder}\n`;
          if (started) draw();
          else writeHeldLinesAbove();
          return;
        case "run-done":
          stopTicking();
          return;
        case "step-start":
        case "step-output":
        case "step-done":
        case "step-failed":
        case "step-skipped":
        case "step-cancelled":
          // Drawn with the next tick.
          return;
      }
    },
    finish() {
      release();
      if (started && !finished) {
        draw(true);
        update.done();
      }
      finished = true;
      giveBackStderr?.();
      // An unfinished line: below the last frame, which nothing draws over any more.
      if (held !== "") terminal.write(held);
      held = "";
    },
  };
}
