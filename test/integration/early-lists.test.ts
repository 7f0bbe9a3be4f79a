import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../bench/processes.js";
import { engineSocketPath, startCountingProxy, type CountingProxy } from "../../bench/proxy.js";
import { DockerEngine } from "../../src/engine/docker-engine.js";
import { requestEarlyLists } from "../../src/engine/early-lists.js";
import { readOnly } from "../../src/engine/engine.js";
import { observeEngine } from "../../src/observe/observe.js";
import { berth, REPO_ROOT } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";

/**
 * The executable asks the engine for its four lists before it loads berth (early-lists.ts,
 * early-start.ts). A counting proxy in front of the engine shows what reaches it: the early
 * requests stand in for the observation's list calls, and nothing is asked twice.
 */

const workspace = mapWorkspace("early-lists");
const COUNT = 6;
let proxy: CountingProxy;
let mapName: string;
let mapFile: string;

beforeAll(async () => {
  proxy = await startCountingProxy(join(workspace.dir, "proxy.sock"), engineSocketPath());
  mapName = workspace.name("early");
  const containers = Array.from(
    { length: COUNT },
    (_, i) => `c${i}:\n  image: ${FIXTURE_IMAGES.base1}\n  environment: {INDEX: "${i}"}\n`,
  );
  mapFile = workspace.write(mapName, `name: ${mapName}\n${containers.join("")}`);
  const started = await berth(["-f", mapFile, "startup"]);
  expect(started.code).toBe(0);
});

afterAll(async () => {
  await proxy.close();
});

/** The built executable, run asynchronously: the proxy answers in this process. */
function berthBin(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, ["bin/berth.js", ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: "1", ...env },
    allowFailure: true,
  });
}

/** The map's containers in an observation, by name → state. */
function mapStates(observation: Awaited<ReturnType<typeof observeEngine>>): Record<string, string> {
  return Object.fromEntries(
    observation.containers.filter((c) => c.mapName === mapName).map((c) => [c.name, c.state]),
  );
}

describe("lists requested before berth loads", () => {
  it("answer the observation's four list calls: the engine is asked once", async () => {
    proxy.reset();
    const early = await requestEarlyLists(proxy.socketPath);
    const engine = new DockerEngine({ baseUrl: proxy.dockerHost, early });
    const observed = await observeEngine(readOnly(engine));
    expect(proxy.total()).toBe(4);
    expect(engine.calls.total).toBe(4);
    const direct = await observeEngine(readOnly(new DockerEngine()));
    expect(mapStates(observed)).toEqual(mapStates(direct));
    expect(Object.keys(mapStates(observed))).toHaveLength(COUNT);
  });

  it("are not used by an engine on another socket, which asks its own", async () => {
    proxy.reset();
    const early = await requestEarlyLists(proxy.socketPath);
    const engine = new DockerEngine({ baseUrl: `unix://${engineSocketPath()}`, early });
    const observed = await observeEngine(readOnly(engine));
    expect(engine.calls.total).toBe(4);
    expect(proxy.total()).toBe(4);
    expect(Object.keys(mapStates(observed))).toHaveLength(COUNT);
    early.dispose();
  });

  it("that failed are asked again, and a failure is reported then", async () => {
    const early = await requestEarlyLists(join(workspace.dir, "nothing-here.sock"));
    const engine = new DockerEngine({ baseUrl: proxy.dockerHost, early });
    proxy.reset();
    await observeEngine(readOnly(engine));
    expect(proxy.total()).toBe(4);
    expect(engine.calls.total).toBe(4);
  });
});

describe("bin/berth.js", () => {
  it("makes four engine calls for a no-op plan, none for validate", async () => {
    proxy.reset();
    const plan = await berthBin(["-f", mapFile, "plan"], { DOCKER_HOST: proxy.dockerHost });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("No changes");
    expect(proxy.total()).toBe(4);
    expect(Object.keys(proxy.byOperation()).sort()).toEqual([
      "GET /containers/json",
      "GET /images/json",
      "GET /networks",
      "GET /volumes",
    ]);

    proxy.reset();
    const validate = await berthBin(["-f", mapFile, "validate"], { DOCKER_HOST: proxy.dockerHost });
    expect(validate.code).toBe(0);
    expect(proxy.total()).toBe(0);
  });

  it("ends quietly when its reader closes the pipe early", async () => {
    // 150 containers: the printed map is larger than a pipe holds, so a write fails with EPIPE.
    const big = workspace.write(
      `${mapName}-big`,
      `name: ${mapName}-big\n${Array.from({ length: 150 }, (_, i) => `c${i}:\n  image: busybox\n  environment: {INDEX: "${i}"}\n`).join("")}`,
    );
    const child = spawn(process.execPath, ["bin/berth.js", "-f", big, "config", "--json"], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let received = 0;
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    // Like `| head -c 1`: read a little, then close the pipe.
    child.stdout.once("data", (chunk: Buffer) => {
      received = chunk.length;
      child.stdout.destroy();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(100_000);
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});
