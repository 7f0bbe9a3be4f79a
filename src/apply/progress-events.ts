import type { Step } from "../plan/plan-types.js";

/** What an apply reports while it runs; the CLI renders these (TTY, plain, JSON lines). */
export type ProgressEvent =
  | {
      type: "run-start";
      map: string;
      steps: number;
      time: number;
      /** The plan's steps: a live display shows every object from the start, and what each waits for. */
      plan?: readonly Step[];
    }
  | { type: "step-start"; step: Step; time: number }
  | { type: "step-done"; step: Step; time: number; durationMs: number; detail?: string }
  /**
   * A line of a step's own output (a build's, a pull's), secrets masked. `transient`: a progress
   * update that the next line replaces (a pull's download counter); line-by-line output leaves it out.
   */
  | { type: "step-output"; step: Step; time: number; line: string; transient?: boolean }
  | { type: "step-failed"; step: Step; time: number; durationMs: number; error: string }
  | { type: "step-skipped"; step: Step; time: number; because: string }
  | { type: "step-cancelled"; step: Step; time: number }
  | { type: "lock-wait"; map: string; holder: string; time: number }
  | { type: "run-done"; time: number; ok: boolean; interrupted: boolean; durationMs: number };

export type ProgressListener = (event: ProgressEvent) => void;
