import { execFile } from "node:child_process";

/** Runs the `docker` client (hand-made drift in tests: stop, update, network disconnect …). */
export function docker(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("docker", args, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`docker ${args.join(" ")}: ${stderr || err.message}`));
      else resolve(stdout.trim());
    });
  });
}
