import { spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT, type CliRun } from "./cli.js";

/** Runs the built `berth` executable (bin/berth.js, as a user would) in a process of its own. */
export function runBuilt(args: string[]): Promise<CliRun> {
  const child = spawn(process.execPath, [join(REPO_ROOT, "bin/berth.js"), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) =>
    child.once("exit", (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr })),
  );
}
