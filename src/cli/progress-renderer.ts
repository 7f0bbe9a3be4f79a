import type { ProgressEvent, ProgressListener } from "../apply/progress-events.js";
import type { Step } from "../plan/plan-types.js";
import { painter } from "../plan/render-plan.js";
import { useColor, type CliIo } from "./cli-io.js";
import { liveDisplay } from "./live-display/live-renderer.js";

export type ProgressMode = "auto" | "tty" | "plain" | "json" | "quiet";

export interface ProgressRenderer {
  listener: ProgressListener;
  /** Draws the final state (TTY) and stops refreshing. */
  finish(): void;
}

/**
 * Progress goes to stderr: a live per-object display on a terminal (src/cli/live-display/), plain
 * lines otherwise — also with NO_COLOR, or TERM=dumb, whose users asked for plain output.
 */
export function progressRenderer(mode: ProgressMode, io: CliIo): ProgressRenderer {
  const resolved = mode === "auto" ? (liveDisplayFits(io) ? "tty" : "plain") : mode;
  switch (resolved) {
    case "quiet":
      return { listener: () => undefined, finish: () => undefined };
    case "json":
      return {
        listener: (event) => io.stderr.write(`${JSON.stringify(jsonEvent(event))}\n`),
        finish: () => undefined,
      };
    case "plain":
      return plainRenderer(io);
    case "tty":
      return liveDisplay(io);
  }
}

function liveDisplayFits(io: CliIo): boolean {
  const noColor = io.env.NO_COLOR;
  return io.stderr.isTTY === true && (noColor === undefined || noColor === "") && io.env.TERM !== "dumb";
}

function describeStep(step: Step): string {
  return `${step.type.replace(/-/g, " ")} ${step.object.client === "default" ? "" : `${step.object.client}:`}${step.object.name}`;
}

function jsonEvent(event: ProgressEvent): Record<string, unknown> {
  if ("step" in event) {
    const { step, ...rest } = event;
    return { ...rest, step: step.id, stepType: step.type, object: step.object };
  }
  if (event.type === "run-start") {
    // The plan's steps are for a live display; `berth plan -o json` prints them.
    const { plan: _steps, ...rest } = event;
    return rest;
  }
  return { ...event };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function plainRenderer(io: CliIo): ProgressRenderer {
  const paint = painter(useColor(io));
  return {
    listener: (event) => {
      switch (event.type) {
        case "run-start":
          io.stderr.write(`applying ${event.steps} step(s) to map ${event.map}\n`);
          break;
        case "step-start":
          io.stderr.write(`${paint("dim", "start  ")} ${describeStep(event.step)}\n`);
          break;
        case "step-done":
          io.stderr.write(
            `${paint("green", "done   ")} ${describeStep(event.step)} (${seconds(event.durationMs)})${event.detail ? `: ${event.detail}` : ""}\n`,
          );
          break;
        case "step-output":
          // A build's output, prefixed with the config it builds; a pull's counters are for a live display.
          if (event.transient === true) break;
          io.stderr.write(
            `${paint("dim", `${event.step.object.key ?? event.step.object.name} |`)} ${event.line}\n`,
          );
          break;
        case "step-failed":
          io.stderr.write(`${paint("red", "failed ")} ${describeStep(event.step)}: ${event.error}\n`);
          break;
        case "step-skipped":
          io.stderr.write(
            `${paint("yellow", "skipped")} ${describeStep(event.step)} (after ${event.because})\n`,
          );
          break;
        case "step-cancelled":
          io.stderr.write(`${paint("yellow", "cancel ")} ${describeStep(event.step)}\n`);
          break;
        case "lock-wait":
          io.stderr.write(`waiting for the lock of map ${event.map}, held by ${event.holder}\n`);
          break;
        case "run-done":
          break;
      }
    },
    finish: () => undefined,
  };
}
