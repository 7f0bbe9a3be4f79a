import type { ProgressEvent, ProgressListener } from "../apply/progress-events.js";
import type { Step } from "../plan/plan-types.js";
import { painter } from "../plan/render-plan.js";
import { useColor, type CliIo } from "./cli-io.js";

export type ProgressMode = "auto" | "tty" | "plain" | "json" | "quiet";

export interface ProgressRenderer {
  listener: ProgressListener;
  /** Draws the final state (TTY) and stops refreshing. */
  finish(): void;
}

/** Progress goes to stderr: a live per-object display on a terminal, plain lines otherwise. */
export function progressRenderer(mode: ProgressMode, io: CliIo): ProgressRenderer {
  const resolved = mode === "auto" ? (io.stderr.isTTY ? "tty" : "plain") : mode;
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
      return ttyRenderer(io);
  }
}

function describeStep(step: Step): string {
  return `${step.type.replace(/-/g, " ")} ${step.object.client === "default" ? "" : `${step.object.client}:`}${step.object.name}`;
}

function jsonEvent(event: ProgressEvent): Record<string, unknown> {
  if ("step" in event) {
    const { step, ...rest } = event;
    return { ...rest, step: step.id, stepType: step.type, object: step.object };
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
          // A build's output, prefixed with the config it builds.
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

interface ObjectLine {
  label: string;
  status: string;
  state: "running" | "done" | "failed" | "skipped";
  started: number;
  elapsed: number;
}

/** Compose-like live display: one line per object with its current step, redrawn in place. */
function ttyRenderer(io: CliIo): ProgressRenderer {
  const paint = painter(useColor(io));
  const lines = new Map<string, ObjectLine>();
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    if (drawn > 0) io.stderr.write(`\u001b[${drawn}A`);
    const now = Date.now();
    const out: string[] = [];
    for (const line of lines.values()) {
      const elapsed = line.state === "running" ? now - line.started : line.elapsed;
      const mark =
        line.state === "done"
          ? paint("green", "✔")
          : line.state === "failed"
            ? paint("red", "✘")
            : line.state === "skipped"
              ? paint("yellow", "-")
              : paint("cyan", "⠿");
      out.push(
        `\u001b[2K ${mark} ${line.label.padEnd(40)} ${line.status.padEnd(28)} ${paint("dim", seconds(elapsed))}`,
      );
    }
    io.stderr.write(out.map((l) => `${l}\n`).join(""));
    drawn = out.length;
  };
  const objectOf = (step: Step) =>
    `${step.object.kind} ${step.object.client === "default" ? "" : `${step.object.client}:`}${step.object.name}`;
  const touch = (step: Step, status: string, state: ObjectLine["state"], elapsed = 0) => {
    const key = objectOf(step);
    const line = lines.get(key) ?? { label: key, status, state, started: Date.now(), elapsed: 0 };
    if (state === "running" && line.state !== "running") line.started = Date.now();
    line.status = status;
    line.state = state;
    line.elapsed = elapsed || Date.now() - line.started;
    lines.set(key, line);
  };
  return {
    listener: (event) => {
      switch (event.type) {
        case "run-start":
          timer = setInterval(draw, 100);
          timer.unref();
          return;
        case "step-start":
          touch(event.step, `${event.step.type.replace(/-/g, " ")}…`, "running");
          break;
        case "step-done":
          touch(event.step, `${event.step.type.replace(/-/g, " ")} done`, "done", event.durationMs);
          break;
        case "step-output":
          // The last line of a build's output stands in for its status.
          touch(event.step, event.line.slice(0, 28), "running");
          break;
        case "step-failed":
          touch(event.step, "failed", "failed", event.durationMs);
          break;
        case "step-skipped":
        case "step-cancelled":
          touch(event.step, event.type === "step-skipped" ? "skipped" : "cancelled", "skipped");
          break;
        case "lock-wait":
          io.stderr.write(`waiting for the lock of map ${event.map}, held by ${event.holder}\n`);
          return;
        case "run-done":
          if (timer) clearInterval(timer);
          break;
      }
      draw();
    },
    finish: () => {
      if (timer) clearInterval(timer);
      if (lines.size > 0) draw();
    },
  };
}
