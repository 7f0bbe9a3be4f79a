import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../bench/processes.js";
import { engineSocketPath, startCountingProxy, type CountingProxy } from "../../bench/proxy.js";
import { requestLists } from "../../src/cli/prefetch.js";
import { PrefetchedReader } from "../../src/cli/prefetched-reader.js";
import { DockerEngine } from "../../src/engine/docker-engine.js";
import { readOnly } from "../../src/engine/engine.js";
import { observeEngine } from "../../src/observe/observe.js";
import { berth, REPO_ROOT } from "../helpers/cli.js";
import { FIXTURE_IMAGES, testEngine } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";

/**
 * The executable asks the engine for a first look's four lists before it loads the CLI
 * (src/cli/prefetch.ts), and the CLI reads them through a decorator of the read-only engine
 * (src/cli/prefetched-reader.ts). A counting proxy in front of the engine shows what reaches it:
 * the prefetched requests stand in for the first look's list calls, and nothing is asked twice.
 */

const workspace = mapWorkspace("prefetch");
const COUNT = 6;
let proxy: CountingProxy;
let mapName: string;
let mapFile: string;

beforeAll(async () => {
  proxy = await startCountingProxy(join(workspace.dir, "proxy.sock"), engineSocketPath());
  mapName = workspace.name("prefetch");
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

/** A read-only engine on the proxy, decorated with lists prefetched on `socketPath`. */
async function prefetchedEngine(socketPath: string) {
  const engine = new DockerEngine({ baseUrl: proxy.dockerHost });
  const lists = await requestLists(socketPath);
  return { engine, lists, reader: new PrefetchedReader(readOnly(engine), lists) };
}

describe("lists prefetched before the CLI loads", () => {
  it("answer a first look's four list calls: the engine is asked once", async () => {
    proxy.reset();
    const { engine, reader } = await prefetchedEngine(proxy.socketPath);
    const observed = await observeEngine(reader);
    expect(proxy.total()).toBe(4);
    expect(engine.calls.total).toBe(4);
    const direct = await observeEngine(readOnly(new DockerEngine()));
    expect(mapStates(observed)).toEqual(mapStates(direct));
    expect(Object.keys(mapStates(observed))).toHaveLength(COUNT);
  });

  it("hold berth's containers only, and answer only the first look", async () => {
    const byHand = workspace.name("by-hand");
    await testEngine().createContainer(byHand, { Image: FIXTURE_IMAGES.base1 });
    try {
      proxy.reset();
      const { reader } = await prefetchedEngine(proxy.socketPath);
      const first = await observeEngine(reader);
      expect(first.containers.map((c) => c.name)).not.toContain(byHand);
      expect(first.containers.every((c) => c.mapName !== undefined)).toBe(true);
      const containersAsked = proxy.requests().filter((r) => r.startsWith("GET /containers/json"));
      expect(containersAsked).toHaveLength(1);
      expect(decodeURIComponent(containersAsked[0] as string)).toContain('filters={"label":["berth.map"]}');
      // The next look is the engine's, whole.
      const next = await observeEngine(reader);
      expect(proxy.total()).toBe(4 + 4);
      expect(next.containers.map((c) => c.name)).toContain(byHand);
    } finally {
      await testEngine().removeContainer(byHand, { force: true });
    }
  });

  it("that failed are asked of the engine, and a failure is reported then", async () => {
    const { engine, reader } = await prefetchedEngine(join(workspace.dir, "nothing-here.sock"));
    proxy.reset();
    const observed = await observeEngine(reader);
    expect(proxy.total()).toBe(4);
    expect(engine.calls.total).toBe(4);
    expect(Object.keys(mapStates(observed))).toHaveLength(COUNT);
  });
});

describe("bin/berth.js", () => {
  it("makes four engine calls for a no-op plan or update, none for validate", async () => {
    for (const command of [["plan"], ["update", "--progress", "plain"]]) {
      proxy.reset();
      const noop = await berthBin(["-f", mapFile, ...command], { DOCKER_HOST: proxy.dockerHost });
      expect(noop.code, noop.stderr).toBe(0);
      expect(`${noop.stdout}${noop.stderr}`).toContain("No changes");
      expect(proxy.total()).toBe(4);
      expect(Object.keys(proxy.byOperation()).sort()).toEqual([
        "GET /containers/json",
        "GET /images/json",
        "GET /networks",
        "GET /volumes",
      ]);
    }
    proxy.reset();
    const validate = await berthBin(["-f", mapFile, "validate"], { DOCKER_HOST: proxy.dockerHost });
    expect(validate.code).toBe(0);
    expect(proxy.total()).toBe(0);
  });

  it("plans from a look at every container when there is something to do", async () => {
    // The map under a new name has none of its containers, and a container made by hand holds
    // the name of one of them: the plan printed is the one a look at every container gives.
    const other = workspace.name("prefetch-other");
    const squatter = `${other}.c0`;
    await testEngine().createContainer(squatter, { Image: FIXTURE_IMAGES.base1 });
    try {
      proxy.reset();
      const args = ["-f", mapFile, "--map-name", other, "plan", "--json"];
      const fresh = await berthBin(args, { DOCKER_HOST: proxy.dockerHost });
      // The first look (4 calls, berth's containers only), then a whole look (4).
      expect(proxy.byOperation()["GET /containers/json"]).toBe(2);
      expect(proxy.total()).toBe(8);
      // In-process, without a prefetch: one look at every container.
      const whole = await berth(args);
      expect({ code: fresh.code, stdout: fresh.stdout, stderr: fresh.stderr }).toEqual(whole);
      expect(fresh.stdout + fresh.stderr).toContain(squatter);
    } finally {
      await testEngine().removeContainer(squatter, { force: true });
    }
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
