import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL } from "../../src/model/labels.js";
import { berthBin } from "../helpers/berth-bin.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { startFaultProxy, type FaultProxy, type FaultRule } from "../helpers/fault-proxy.js";
import { mapWorkspace } from "../helpers/map-workspace.js";

/**
 * Issue 15, items 1 and 6: engine faults (a reply cut off mid-body, a reset connection) never end
 * in a false success, and the message says what happened. berth runs as the built executable
 * against a fault-injecting proxy in front of the test engine.
 */
const workspace = mapWorkspace("rel-faults");
const { engine } = workspace;
let proxy: FaultProxy;

beforeAll(async () => {
  proxy = await startFaultProxy();
});
afterAll(async () => {
  await proxy.close();
});

const SERVE = `[sh, -c, 'trap "exit 0" TERM; sleep 1000 & wait']`;

function newMap(prefix: string): { mapName: string; file: string } {
  const mapName = workspace.name(prefix);
  const file = workspace.write(
    mapName,
    `
name: ${mapName}
db:
  image: ${FIXTURE_IMAGES.base1}
  command: ${SERVE}
web:
  image: ${FIXTURE_IMAGES.base1}
  command: ${SERVE}
  depends_on: db
`,
  );
  return { mapName, file };
}

/** berth through the proxy, with these faults (none once they are used up). */
function throughProxy(args: string[], rules: FaultRule[] = []) {
  proxy.setPlan({ rules });
  return berthBin(args, { env: { DOCKER_HOST: proxy.dockerHost }, deadlineMs: 60_000 });
}

/** berth straight to the engine. */
const direct = (args: string[]) => berthBin(args, { deadlineMs: 60_000 });

async function objects(mapName: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of await engine.listContainers({ [LABEL.map]: mapName })) {
    out[(c.Names[0] ?? c.Id).replace(/^\//, "")] = c.State;
  }
  return out;
}

async function expectConverged(mapName: string, file: string): Promise<void> {
  const rerun = await direct(["-f", file, "update", "--progress", "quiet"]);
  expect(rerun.code, rerun.stderr).toBe(0);
  // Exactly the map's containers, running; no lock or other leftover.
  expect(await objects(mapName)).toEqual({ [`${mapName}.db`]: "running", [`${mapName}.web`]: "running" });
  const plan = await direct(["-f", file, "plan", "--detailed-exitcode"]);
  expect(plan.code, plan.stdout).toBe(0);
}

describe("engine faults end in success or a clear failure, never a false success", () => {
  it("a container list cut off on every try: startup exits 1 and says the answer was cut off", async () => {
    const { mapName, file } = newMap("rel-list");
    const run = await throughProxy(
      ["-f", file, "startup", "--progress", "quiet"],
      [{ request: /^GET \/containers\/json/, fault: "truncate", count: Infinity }],
    );
    expect(run.hung).toBe(false);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/list containers/);
    expect(run.stderr).toMatch(/cut off/);
    expect(run.stderr).toContain(proxy.socketPath);
    expect(await objects(mapName)).toEqual({});
  });

  it("a create whose answer is cut off: exit 1, may have been applied; a clean re-run converges", async () => {
    const { mapName, file } = newMap("rel-create");
    const run = await throughProxy(
      ["-f", file, "startup", "--progress", "quiet"],
      [{ request: new RegExp(`^POST /containers/create\\?name=${mapName}\\.db`), fault: "truncate" }],
    );
    expect(proxy.faults()).toHaveLength(1);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(`create container ${mapName}.db`);
    expect(run.stderr).toMatch(/may have been applied — re-run `berth startup`/);
    await expectConverged(mapName, file);
  });

  it("a connection reset mid-run is not reported as an engine that is not there", async () => {
    const { mapName, file } = newMap("rel-reset");
    const run = await throughProxy(
      ["-f", file, "startup", "--progress", "quiet"],
      [{ request: /^POST \/containers\/[^/]+\/start/, fault: "reset" }],
    );
    expect(proxy.faults()).toHaveLength(1);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).not.toMatch(/no engine answers/);
    expect(run.stderr).not.toMatch(/start Docker/);
    expect(run.stderr).toMatch(/start container \S+: the engine at unix:\/\/\S+ closed the connection/);
    expect(run.stderr).toMatch(/may have been applied — re-run `berth startup`/);
    await expectConverged(mapName, file);
  });

  it("a read whose answer is cut off once is asked again, and the run succeeds", async () => {
    const { mapName, file } = newMap("rel-retry");
    // The look at every container (not only berth's), made once the plan has steps.
    const run = await throughProxy(
      ["-f", file, "startup", "--progress", "quiet"],
      [{ request: /^GET \/containers\/json\?all=1$/, fault: "truncate" }],
    );
    expect(proxy.faults()).toHaveLength(1);
    expect(run.code, run.stderr).toBe(0);
    expect(await objects(mapName)).toEqual({ [`${mapName}.db`]: "running", [`${mapName}.web`]: "running" });
  });

  it("a lock release that fails says it was the lock; the next run takes the lock over", async () => {
    const { mapName, file } = newMap("rel-lock");
    const run = await throughProxy(
      ["-f", file, "startup", "--progress", "quiet"],
      // Startup removes nothing but its lock (by id, with force).
      [{ request: /^DELETE \/containers\/[0-9a-f]{64}\?v=0&force=1$/, fault: "reset" }],
    );
    expect(proxy.faults()).toHaveLength(1);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(`could not release the lock of map ${mapName} on engine default`);
    await expectConverged(mapName, file);
  });

  it("an engine error answer (500) to a read is asked again; to a write it fails the run, named", async () => {
    const { mapName, file } = newMap("rel-500");
    const read = await throughProxy(
      ["-f", file, "startup", "--progress", "quiet"],
      [{ request: /^GET \/containers\/json\?all=1$/, fault: "error500" }],
    );
    expect(read.code, read.stderr).toBe(0);
    const { mapName: other, file: otherFile } = newMap("rel-500w");
    const write = await throughProxy(
      ["-f", otherFile, "startup", "--progress", "quiet"],
      [{ request: new RegExp(`^POST /containers/create\\?name=${other}\\.db`), fault: "error500" }],
    );
    expect(write.code, write.stderr).toBe(1);
    expect(write.stderr).toContain(`create container ${other}.db`);
    expect(write.stderr).toContain("HTTP 500");
    await expectConverged(mapName, file);
  });
});
