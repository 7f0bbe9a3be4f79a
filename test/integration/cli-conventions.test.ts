import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { contextId } from "../../src/engine/docker-context.js";
import { REPO_ROOT } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";

/**
 * Issue 17, "Docker and Compose conventions", through the built executable (bin/berth.js):
 * Docker contexts choose the engine, `-f -` reads the map from standard input, `-o json` output
 * parses, `--progress json` writes nothing but JSON on stderr, `logs -f` follows and stops quietly.
 */
const workspace = mapWorkspace("conventions");
const ENGINE_SOCKET = "unix:///var/run/docker.sock";

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs bin/berth.js with `input` on its standard input. The engine is chosen only by what a test
 * gives: DOCKER_HOST and DOCKER_CONTEXT of this process are left out, DOCKER_CONFIG is the test's.
 */
function berthBin(
  args: string[],
  options: {
    env?: Record<string, string>;
    input?: string;
    onStart?: (kill: () => void, out: () => string) => void;
  } = {},
): Promise<Run> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", BERTH_CACHE_DIR: "" };
  delete env.DOCKER_HOST;
  delete env.DOCKER_CONTEXT;
  delete env.BERTH_FILE;
  delete env.BERTH_MAP_NAME;
  const child = spawn(process.execPath, ["bin/berth.js", ...args], {
    cwd: REPO_ROOT,
    env: { ...env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.input ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
  options.onStart?.(
    () => child.kill("SIGINT"),
    () => stdout,
  );
  return new Promise((resolve) =>
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
}

/** A docker CLI config folder (DOCKER_CONFIG) with the given contexts, as `docker context create` leaves it. */
function dockerConfig(contexts: Record<string, string>, current?: string): string {
  const folder = join(workspace.dir, `docker-config-${Object.keys(contexts).join("-")}-${current ?? "none"}`);
  mkdirSync(folder, { recursive: true });
  if (current !== undefined)
    writeFileSync(join(folder, "config.json"), JSON.stringify({ currentContext: current }));
  for (const [name, host] of Object.entries(contexts)) {
    const meta = join(folder, "contexts", "meta", contextId(name));
    mkdirSync(meta, { recursive: true });
    const body = { Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } };
    writeFileSync(join(meta, "meta.json"), JSON.stringify(body));
  }
  return folder;
}

const simpleMap = (mapName: string) => `name: ${mapName}\napp:\n  image: ${FIXTURE_IMAGES.base1}\n`;

describe("Docker contexts choose the engine, as the docker CLI does", () => {
  const mapName = workspace.name("ctx");
  const file = workspace.write(mapName, simpleMap(mapName));
  const missingSocket = `unix://${join(workspace.dir, "no-engine.sock")}`;
  const config = dockerConfig(
    { "berth-engine": ENGINE_SOCKET, "berth-broken": missingSocket },
    "berth-broken",
  );

  it("config.json's current context is used; one pointing to a missing socket fails naming the context", async () => {
    const broken = await berthBin(["-f", file, "plan"], { env: { DOCKER_CONFIG: config } });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(
      `no engine answers at ${missingSocket} (Docker context \`berth-broken\`, the current context of the docker CLI's config.json)`,
    );
    expect(broken.stderr).not.toMatch(/\n\s+at /);
  });

  it("DOCKER_CONTEXT beats the current context; --context beats DOCKER_CONTEXT; DOCKER_HOST beats DOCKER_CONTEXT", async () => {
    const viaEnv = await berthBin(["-f", file, "plan", "-o", "json"], {
      env: { DOCKER_CONFIG: config, DOCKER_CONTEXT: "berth-engine" },
    });
    expect(viaEnv.stderr).toBe("");
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({ map: mapName });

    const viaFlag = await berthBin(["--context", "berth-engine", "-f", file, "plan", "-o", "json"], {
      env: { DOCKER_CONFIG: config, DOCKER_CONTEXT: "berth-broken" },
    });
    expect(viaFlag.code, viaFlag.stderr).toBe(0);

    const flagBroken = await berthBin(["-f", file, "plan", "--context", "berth-broken"], {
      env: { DOCKER_CONFIG: config, DOCKER_CONTEXT: "berth-engine" },
    });
    expect(flagBroken.code).toBe(1);
    expect(flagBroken.stderr).toContain("Docker context `berth-broken`, from --context");

    const viaHost = await berthBin(["-f", file, "plan", "-o", "json"], {
      env: { DOCKER_CONFIG: config, DOCKER_CONTEXT: "berth-broken", DOCKER_HOST: ENGINE_SOCKET },
    });
    expect(viaHost.code, viaHost.stderr).toBe(0);

    const viaDashH = await berthBin(["-H", ENGINE_SOCKET, "-f", file, "plan", "-o", "json"], {
      env: { DOCKER_CONFIG: config },
    });
    expect(viaDashH.code, viaDashH.stderr).toBe(0);
  });

  it("a context that does not exist is a clear error, and nothing is changed", async () => {
    const run = await berthBin(["-f", file, "startup", "--context", "no-such-context"], {
      env: { DOCKER_CONFIG: config },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("Docker context `no-such-context` (from --context) does not exist");
    expect(run.stderr).toContain("docker context ls");
  });
});

describe("-f - reads the map from standard input", () => {
  it("plans a piped map, and -o json output parses", async () => {
    const mapName = workspace.name("stdin");
    const run = await berthBin(["-f", "-", "plan", "-o", "json"], {
      input: simpleMap(mapName),
      env: { DOCKER_HOST: ENGINE_SOCKET },
    });
    expect(run.stderr).toBe("");
    const plan = JSON.parse(run.stdout) as { map: string; files: string[]; steps: unknown[] };
    expect(plan.map).toBe(mapName);
    expect(plan.files).toEqual(["-"]);
    expect(plan.steps.length).toBeGreaterThan(0);
  });

  it("plan -o yaml prints YAML, and --out saves the plan without taking -o's place", async () => {
    const mapName = workspace.name("out");
    const saved = join(workspace.dir, `${mapName}-plan.json`);
    const run = await berthBin(["-f", "-", "plan", "-o", "yaml", "--out", saved], {
      input: simpleMap(mapName),
      env: { DOCKER_HOST: ENGINE_SOCKET },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`map: ${mapName}`);
    expect(existsSync(saved)).toBe(true);
    expect(existsSync(join(REPO_ROOT, "yaml"))).toBe(false);
  });
});

describe("machine-readable progress is pure", () => {
  it("--progress json: every stderr line is JSON, the summary an event; quiet: nothing", async () => {
    const mapName = workspace.name("progress");
    const file = workspace.write(mapName, simpleMap(mapName));
    const env = { DOCKER_HOST: ENGINE_SOCKET, BERTH_CACHE_DIR: "" };
    const run = await berthBin(["-f", file, "startup", "--progress", "json", "--log-level", "info"], { env });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stderr.trim().split("\n");
    const events = lines.map((line) => JSON.parse(line) as { type?: string; msg?: string });
    expect(events.at(-1)).toMatchObject({ type: "summary", map: mapName, exitCode: 0, failed: 0 });
    expect(events.some((e) => e.type === "step-done")).toBe(true);

    const again = await berthBin(["-f", file, "update", "--progress", "json"], { env });
    expect(
      again.stderr
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([expect.objectContaining({ type: "summary", steps: 0, exitCode: 0 })]);

    const failing = await berthBin(
      ["-f", join(workspace.dir, "missing.yaml"), "update", "--progress", "json"],
      {
        env,
      },
    );
    expect(failing.code).toBe(1);
    expect(JSON.parse(failing.stderr.trim())).toMatchObject({ type: "error" });

    const quiet = await berthBin(["-f", file, "shutdown", "--progress", "quiet"], { env });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe("");
  });
});

describe("logs -f follows; Ctrl-C ends it quietly", () => {
  it("prints the output, keeps following, and exits 0 or 130 without the apply message", async () => {
    const mapName = workspace.name("logs");
    const file = workspace.write(
      mapName,
      `name: ${mapName}\napp:\n  image: ${FIXTURE_IMAGES.base1}\n  command: [sh, -c, "echo hello-from-app; trap 'exit 0' TERM INT; sleep 2147483647 & wait"]\n`,
    );
    const env = { DOCKER_HOST: ENGINE_SOCKET };
    expect((await berthBin(["-f", file, "startup", "--progress", "quiet"], { env })).code).toBe(0);
    let interruptedAt = 0;
    const run = await berthBin(["logs", "-f", "app", "--file", file], {
      env,
      onStart: (interrupt, stdout) => {
        const poll = setInterval(() => {
          if (!stdout().includes("hello-from-app")) return;
          clearInterval(poll);
          // Still following a second later: -f is --follow, not the end of the output.
          setTimeout(() => {
            interruptedAt = Date.now();
            interrupt();
          }, 1000);
        }, 100);
      },
    });
    expect(interruptedAt).toBeGreaterThan(0);
    expect(run.stdout).toContain("hello-from-app");
    expect([0, 130]).toContain(run.code);
    expect(run.stderr).not.toContain("letting running steps finish");
    expect(run.stderr).toBe("");
  });
});
