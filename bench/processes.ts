import { spawn } from "node:child_process";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to its end; rejects when it exits with another code than 0. */
export function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; allowFailure?: boolean } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const begin = performance.now();
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) => {
      const result = {
        code: code ?? -1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        ms: performance.now() - begin,
      };
      if (result.code !== 0 && !options.allowFailure) {
        reject(
          new Error(
            `${command} ${args.join(" ")} exited with ${result.code}: ${result.stderr.trim().split("\n").slice(-5).join(" | ")}`,
          ),
        );
      } else resolve(result);
    });
  });
}

/** docker-compose 1.29 on one project, against the engine (or the counting proxy). */
export class Compose {
  constructor(
    readonly project: string,
    readonly file: string,
  ) {}

  private env(dockerHost?: string): NodeJS.ProcessEnv {
    return {
      ...process.env,
      ...(dockerHost === undefined ? {} : { DOCKER_HOST: dockerHost }),
      // The machine is shared and slow at times; compose's default 60 s is not always enough.
      COMPOSE_HTTP_TIMEOUT: "600",
      DOCKER_CLIENT_TIMEOUT: "600",
    };
  }

  run(args: readonly string[], dockerHost?: string): Promise<RunResult> {
    return run("docker-compose", ["--ansi", "never", "-p", this.project, "-f", this.file, ...args], {
      env: this.env(dockerHost),
    });
  }

  up(dockerHost?: string): Promise<RunResult> {
    return this.run(["up", "-d"], dockerHost);
  }

  down(): Promise<RunResult> {
    return this.run(["down", "-v", "--remove-orphans", "-t", "1"]);
  }
}

export async function composeVersion(): Promise<string> {
  const result = await run("docker-compose", ["version", "--short"], { allowFailure: true });
  return result.code === 0 ? result.stdout.trim() : "missing";
}
