import type { PrefetchedLists } from "./prefetch.js";

/** What the CLI reads and writes; tests pass their own to run the CLI in-process. */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Aborted on SIGINT: stop scheduling, let running steps end. */
  signal?: AbortSignal;
  /** Standard input's whole text (`-f -`); default: read file descriptor 0. */
  readStdin?: () => string;
  /** The default engine's lists, requested by the executable before it loaded the CLI (prefetch.ts). */
  prefetch?: PrefetchedLists;
}

export function processIo(signal?: AbortSignal): CliIo {
  const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
  if (signal) io.signal = signal;
  return io;
}

/** Colour only on a terminal, and never with NO_COLOR set (https://no-color.org). */
export function useColor(io: CliIo, stream: "stdout" | "stderr" = "stderr"): boolean {
  const noColor = io.env.NO_COLOR;
  if (noColor !== undefined && noColor !== "") return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== "0") return true;
  return io[stream].isTTY === true;
}
