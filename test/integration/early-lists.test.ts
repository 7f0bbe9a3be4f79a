import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../bench/processes.js";
import { engineSocketPath, startCountingProxy, type CountingProxy } from "../../bench/proxy.js";
import { DockerEngine } from "../../src/engine/docker-engine.js";
import { requestEarlyLists } from "../../src/engine/early-lists.js";
import { readOnly } from "../../src/engine/engine.js";
import { loadMap } from "../../src/map/load-map.js";
import { observeEngine } from "../../src/observe/observe.js";
import type { Plan } from "../../src/plan/plan-types.js";
import { observeAndPlan } from "../../src/reconcile.js";
import { berth, REPO_ROOT } from "../helpers/cli.js";
import { FIXTURE_IMAGES, testEngine } from "../helpers/engine.js";
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
  it("answer a first look's four list calls: the engine is asked once", async () => {
    proxy.reset();
    const early = await requestEarlyLists(proxy.socketPath);
    const engine = new DockerEngine({ baseUrl: proxy.dockerHost, early });
    const observed = await observeEngine(readOnly(engine), "berth");
    expect(proxy.total()).toBe(4);
    expect(engine.calls.total).toBe(4);
    expect(observed.containerScope).toBe("berth");
    const direct = await observeEngine(readOnly(new DockerEngine()), "all");
    expect(mapStates(observed)).toEqual(mapStates(direct));
    expect(Object.keys(mapStates(observed))).toHaveLength(COUNT);
  });

  it("list berth's containers only, and do not stand in for a list of every container", async () => {
    const byHand = workspace.name("by-hand");
    await testEngine().createContainer(byHand, { Image: FIXTURE_IMAGES.base1 });
    try {
      proxy.reset();
      const early = await requestEarlyLists(proxy.socketPath);
      const engine = new DockerEngine({ baseUrl: proxy.dockerHost, early });
      const first = await observeEngine(readOnly(engine), "berth");
      expect(first.containers.map((c) => c.name)).not.toContain(byHand);
      expect(first.containers.every((c) => c.mapName !== undefined)).toBe(true);
      const containersAsked = proxy.requests().filter((r) => r.startsWith("GET /containers/json"));
      expect(containersAsked).toHaveLength(1);
      expect(decodeURIComponent(containersAsked[0] as string)).toContain('filters={"label":["berth.map"]}');
      // A look at every container is asked of the engine: the early list does not answer it.
      const whole = await observeEngine(readOnly(engine), "all");
      expect(proxy.total()).toBe(4 + 4);
      expect(whole.containerScope).toBeUndefined();
      expect(whole.containers.map((c) => c.name)).toContain(byHand);
    } finally {
      await testEngine().removeContainer(byHand, { force: true });
    }
  });

  it("are not used by an engine on another socket, which asks its own", async () => {
    proxy.reset();
    const early = await requestEarlyLists(proxy.socketPath);
    const engine = new DockerEngine({ baseUrl: `unix://${engineSocketPath()}`, early });
    const observed = await observeEngine(readOnly(engine), "berth");
    expect(engine.calls.total).toBe(4);
    expect(proxy.total()).toBe(4);
    expect(Object.keys(mapStates(observed))).toHaveLength(COUNT);
    early.dispose();
  });

  it("that failed are asked again, and a failure is reported then", async () => {
    const early = await requestEarlyLists(join(workspace.dir, "nothing-here.sock"));
    const engine = new DockerEngine({ baseUrl: proxy.dockerHost, early });
    proxy.reset();
    await observeEngine(readOnly(engine), "berth");
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

    // Something to do (the map under a new name has none of its containers): a fifth call lists
    // every container, and the plan is the one a look at every container gives.
    proxy.reset();
    const other = workspace.name("early-other");
    const fresh = await berthBin(["-f", mapFile, "--map-name", other, "plan", "--json"], {
      DOCKER_HOST: proxy.dockerHost,
    });
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(proxy.byOperation()["GET /containers/json"]).toBe(2);
    expect(proxy.total()).toBe(5);
    const map = loadMap({ files: [mapFile], mapName: other, env: {} });
    const whole = await observeAndPlan(
      map,
      { default: readOnly(new DockerEngine()) },
      {
        action: "update",
        containers: "all",
      },
    );
    const printed = JSON.parse(fresh.stdout) as Plan;
    expect(printed.steps.length).toBeGreaterThan(0);
    expect(printed.steps).toEqual(JSON.parse(JSON.stringify(whole.plan.steps)));
    expect(printed.observed).toEqual(JSON.parse(JSON.stringify(whole.plan.observed)));

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
