import type { Step } from "../plan/plan-types.js";

/** What an apply reports while it runs; the CLI renders these (TTY, plain, JSON lines). */
export type ProgressEvent =
  | { type: "run-start"; map: string; steps: number; time: number }
  | { type: "step-start"; step: Step; time: number }
  | { type: "step-done"; step: Step; time: number; durationMs: number; detail?: string }
  /** A line of a step's own output (a build's), secrets masked. */
  | { type: "step-output"; step: Step; time: number; line: string }
  | { type: "step-failed"; step: Step; time: number; durationMs: number; error: string }
  | { type: "step-skipped"; step: Step; time: number; because: string }
  | { type: "step-cancelled"; step: Step; time: number }
  | { type: "lock-wait"; map: string; holder: string; time: number }
  | { type: "run-done"; time: number; ok: boolean; interrupted: boolean; durationMs: number };

export type ProgressListener = (event: ProgressEvent) => void;
