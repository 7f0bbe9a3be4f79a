import { spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../cli.js";

/**
 * What a map asks of the engine, as `berth config --json` prints it under `x-berth.resolved`.
 *
 * The checker reads berth's *normalized, resolved map* (names, images, paths already derived) as
 * its input format — and nothing else of berth: it never imports the planner, the spec diff or the
 * observer, so a bug in their comparison cannot hide itself. The types below are the checker's
 * own, listing only the fields it checks.
 */
export interface ExpectedMap {
  name: string;
  containers: ExpectedContainer[];
  volumes: ExpectedVolume[];
  networks: ExpectedNetwork[];
}

export interface ExpectedContainer {
  /** `config` or `config.instance`: how the map refers to it. */
  key: string;
  config: string;
  /** Docker container name. */
  name: string;
  image: string;
  environment: Record<string, string>;
  labels: Record<string, string>;
  command?: string[];
  entrypoint?: string[];
  user?: string;
  /** chmod mode for the volumes this container attaches (a volume's own `permissions` wins). */
  permissions?: string;
  working_dir?: string;
  hostname?: string;
  restart?: string;
  persistent: boolean;
  shares: string[];
  binds: { hostPath: string; containerPath: string; readonly: boolean }[];
  attaches: ExpectedVolumeMount[];
  usesVolumes: ExpectedVolumeMount[];
  links: { container: string; alias: string }[];
  ports: { port: string; hostPort?: number; interface?: string }[];
  networkMode: ExpectedNetworkMode;
  endpoints: { network: string; name: string; aliases: string[] }[];
  execCommands: { cmd: string[]; policy: string; detach: boolean }[];
  dependsOn: { container: string; condition: string }[];
  healthcheck?: { test: string[] };
  host_config: Record<string, unknown>;
}

export interface ExpectedVolumeMount {
  name: string;
  path: string;
  readonly: boolean;
}

export type ExpectedNetworkMode =
  | { kind: "default" }
  | { kind: "bridge" | "host" | "none" | "disabled" }
  | { kind: "container"; container: string }
  | { kind: "external-container"; name: string }
  | { kind: "network"; network: string };

export interface ExpectedVolume {
  name: string;
  /** Key of the container that attaches it. */
  owner: string;
  driver: string;
  user?: string;
  permissions?: string;
}

export interface ExpectedNetwork {
  name: string;
  driver: string;
  internal: boolean;
}

/** Picks the resolved map out of `berth config --json` output. */
export function expectedMapFromConfigJson(text: string): ExpectedMap {
  const parsed = JSON.parse(text) as { "x-berth"?: { resolved?: ExpectedMap } };
  const resolved = parsed["x-berth"]?.resolved;
  if (resolved === undefined) throw new Error("berth config --json printed no x-berth.resolved");
  return resolved;
}

/** Runs the built `berth` executable (bin/berth.js) and collects its output. */
export function runBerthBin(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, "bin/berth.js"), ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** The map's resolved form, from `berth -f FILE... config --json` (the built CLI). */
export async function loadExpectedMap(
  fileArgs: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<ExpectedMap> {
  const run = await runBerthBin([...fileArgs, "config", "--json", "--show-sensitive"], options);
  if (run.code !== 0) throw new Error(`berth config failed (${run.code}): ${run.stderr}`);
  return expectedMapFromConfigJson(run.stdout);
}
