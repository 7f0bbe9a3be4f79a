import type { BuildFailure } from "./engine-errors.js";

const KEPT_LINES = 20;

/**
 * Reads a build's JSON progress stream, event by event: output lines (`stream`), the built image's
 * id (`aux.ID`), and the error the builder ends with (`error` / `errorDetail`).
 */
export class BuildProgress {
  imageId: string | undefined;
  error: string | undefined;
  private readonly lines: string[] = [];
  private step: number | undefined;
  private instruction: string | undefined;
  private partial = "";

  constructor(private readonly onOutput?: (line: string) => void) {}

  add(event: unknown): void {
    if (typeof event !== "object" || event === null) return;
    const e = event as {
      stream?: unknown;
      aux?: { ID?: unknown };
      error?: unknown;
      errorDetail?: { message?: unknown };
    };
    if (typeof e.stream === "string") this.text(e.stream);
    if (typeof e.aux?.ID === "string") this.imageId = e.aux.ID;
    const message = e.errorDetail?.message ?? e.error;
    if (typeof message === "string" && this.error === undefined) this.error = message.trim();
  }

  failure(): BuildFailure {
    if (this.partial !== "") this.line(this.partial);
    this.partial = "";
    return { step: this.step, instruction: this.instruction, output: [...this.lines] };
  }

  private text(chunk: string): void {
    const parts = (this.partial + chunk).split("\n");
    this.partial = parts.pop() ?? "";
    for (const part of parts) this.line(part);
  }

  private line(raw: string): void {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") return;
    const step = /^Step (\d+)\/\d+ : (.*)$/.exec(line);
    if (step) {
      this.step = Number(step[1]);
      this.instruction = step[2];
    }
    this.lines.push(line);
    if (this.lines.length > KEPT_LINES) this.lines.shift();
    this.onOutput?.(line);
  }
}
