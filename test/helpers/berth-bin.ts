import { spawn } from "node:child_process";
import { REPO_ROOT } from "./cli.js";

export interface BinRun {
  /** The exit code; null when the run was killed at its deadline (a hang). */
  code: number | null;
  stdout: string;
  stderr: string;
  hung: boolean;
  durationMs: number;
}

/**
 * Runs the built executable (bin/berth.js, `npm run build`) as its own process, without blocking
 * this one (a fault proxy in this process must keep answering). A run that outlives `deadlineMs`
 * is killed and reported as hung.
 */
export function berthBin(
  args: string[],
  options: { env?: Record<string, string>; deadlineMs?: number } = {},
): Promise<BinRun> {
  const started = Date.now();
  // BERTH_BIN_ROOT: another build to run (e.g. an older commit's, to compare a campaign's figures).
  const child = spawn(process.execPath, ["bin/berth.js", ...args], {
    cwd: process.env.BERTH_BIN_ROOT ?? REPO_ROOT,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, options.deadlineMs ?? 60_000);
  return new Promise((resolve) => {
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: hung ? null : code, stdout, stderr, hung, durationMs: Date.now() - started });
    });
  });
}
