import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CliIo } from "../../src/cli/cli-io.js";
import { runCli } from "../../src/cli/main.js";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output (no TTY, no colour). */
export async function berth(
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; signal?: AbortSignal } = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    cwd: options.cwd ?? REPO_ROOT,
  };
  if (options.signal) io.signal = options.signal;
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/** A running `berth` process (from the TypeScript sources, no build needed). */
export interface BerthProcess {
  pid: number;
  output(): { stdout: string; stderr: string };
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

export function spawnBerth(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): BerthProcess {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(REPO_ROOT, "scripts/berth-dev.ts"), ...args],
    {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : null))),
  );
  return {
    pid: child.pid ?? -1,
    output: () => ({ stdout, stderr }),
    exited,
    kill: (signal) => child.kill(signal),
  };
}

/** A temporary folder for a test's map files; remove it with the returned function. */
export function tempFolder(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `berth-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a map file (YAML text) into a folder; returns its path. */
export function writeMap(dir: string, text: string, name = "berth.yaml"): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
