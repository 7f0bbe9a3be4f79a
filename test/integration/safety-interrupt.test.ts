import { afterAll, describe, expect, it } from "vitest";
import { emptyTar, MARKER_IMAGE, lockName } from "../../src/apply/engine-lock.js";
import { isEngineNotFoundError } from "../../src/engine/engine-errors.js";
import { LABEL } from "../../src/model/labels.js";
import { berth, spawnBerth, tempFolder, writeMap, type BerthProcess } from "../helpers/cli.js";
import {
  FIXTURE_IMAGES,
  mapContainers,
  removeMapObjects,
  testEngine,
  uniqueMapName,
  type ContainerRow,
} from "../helpers/engine.js";

/**
 * A run that dies (SIGKILL) or is interrupted (SIGINT) in the middle of a recreate: the next
 * update converges — no `_berth-new` left, one container per config, all running, an empty plan —
 * and never fails on a name that is already in use.
 */
const engine = testEngine();
const folder = tempFolder("safety-kill");
const maps: string[] = [];
const processes: BerthProcess[] = [];

afterAll(async () => {
  for (const p of processes) p.kill("SIGKILL");
  await Promise.all(processes.map((p) => p.exited));
  for (const mapName of maps) await removeMapObjects(engine, mapName);
  folder.remove();
});

const CONFIGS = ["a", "b", "c"];

/** Containers whose main process ignores SIGTERM (sleep as PID 1): each stop takes stop_timeout. */
const slowMap = (mapName: string, image: string) => `
name: ${mapName}
x-slow: &slow
  image: /${image}
  command: [sleep, "1000"]
  stop_timeout: 3
a: *slow
b: *slow
c: *slow
`;

type Row = ContainerRow;

function rows(mapName: string): Promise<Row[]> {
  return mapContainers(engine, mapName);
}

async function waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A converged map of slow containers on base:1, then the map switched to base:2 (recreate all). */
async function setUp(prefix: string): Promise<{ mapName: string; file: string; before: Row[] }> {
  const mapName = uniqueMapName(prefix);
  maps.push(mapName);
  const file = writeMap(folder.dir, slowMap(mapName, FIXTURE_IMAGES.base1), `${mapName}.yaml`);
  const first = await berth(["-f", file, "update", "--progress", "quiet"]);
  expect(first.code).toBe(0);
  const before = await rows(mapName);
  expect(before.map((r) => r.state)).toEqual(["running", "running", "running"]);
  writeMap(folder.dir, slowMap(mapName, FIXTURE_IMAGES.base2), `${mapName}.yaml`);
  return { mapName, file, before };
}

function start(args: string[]): BerthProcess {
  const p = spawnBerth(args);
  processes.push(p);
  return p;
}

/** The next update converges: exactly one running base:2 container per config, nothing else. */
async function expectNextUpdateConverges(mapName: string, file: string): Promise<Row[]> {
  const next = await berth(["-f", file, "update", "--lock-timeout", "0", "--progress", "plain"]);
  expect(next.stderr).not.toMatch(/already in use/i);
  expect(next.stderr).not.toMatch(/error/i);
  expect(next.code).toBe(0);
  const after = await rows(mapName);
  expect(after.map((r) => r.name)).toEqual(CONFIGS.map((c) => `${mapName}.${c}`));
  for (const row of after)
    expect(row, row.name).toMatchObject({ state: "running", image: FIXTURE_IMAGES.base2 });
  const plan = await berth(["-f", file, "plan", "--detailed-exitcode"]);
  expect(plan.stdout).toContain("No changes");
  expect(plan.code).toBe(0);
  return after;
}

async function exists(name: string): Promise<boolean> {
  return engine.inspectContainer(name).then(
    () => true,
    (err: unknown) => {
      if (isEngineNotFoundError(err)) return false;
      throw err;
    },
  );
}

describe("a run killed in the middle of a recreate", () => {
  it("leaves old and temporary containers that the next update cleans up and finishes", async () => {
    const { mapName, file, before } = await setUp("safety-kill-both");
    const run = start(["-f", file, "update", "--progress", "plain"]);
    // Kill it once every temporary container exists and the slow stops are under way.
    await waitFor(
      "the temporary containers",
      async () => (await rows(mapName)).filter((r) => r.name.endsWith("_berth-new")).length === 3,
    );
    await waitFor("a stop under way", () => /start {3}stop container/.test(run.output().stderr));
    run.kill("SIGKILL");
    await run.exited;

    const left = await rows(mapName);
    const names = left.map((r) => r.name);
    for (const config of CONFIGS) {
      expect(names).toContain(`${mapName}.${config}`);
      expect(names).toContain(`${mapName}.${config}_berth-new`);
    }
    expect(names).toContain(lockName(mapName)); // the dead run could not release its lock

    const after = await expectNextUpdateConverges(mapName, file);
    for (const row of after) expect(before.map((r) => r.id)).not.toContain(row.id);
  });

  it("finishes a recreate of which only the temporary container is left", async () => {
    const { mapName, file } = await setUp("safety-kill-temp");
    const run = start(["-f", file, "update", "--progress", "plain"]);
    await waitFor(
      "the temporary containers",
      async () => (await rows(mapName)).filter((r) => r.name.endsWith("_berth-new")).length === 3,
    );
    run.kill("SIGKILL");
    await run.exited;
    // As if the run had died between removing the old containers and renaming the new ones.
    for (const config of CONFIGS) await engine.removeContainer(`${mapName}.${config}`, { force: true });
    const temporaries = await rows(mapName);
    const temporaryIds = temporaries.filter((r) => r.name.endsWith("_berth-new")).map((r) => r.id);
    expect(temporaryIds).toHaveLength(3);

    const after = await expectNextUpdateConverges(mapName, file);
    // The temporary containers were adopted (renamed), not made again.
    expect(after.map((r) => r.id).sort()).toEqual([...temporaryIds].sort());
    expect(await exists(lockName(mapName))).toBe(false);
  });
});

describe("SIGINT during a run", () => {
  it("stops scheduling, lets the running step end, exits 130; the next update converges", async () => {
    const { mapName, file } = await setUp("safety-sigint");
    const run = start(["-f", file, "update", "--parallel", "1", "--progress", "json"]);
    const events = () =>
      run
        .output()
        .stderr.split("\n")
        .filter((l) => l.startsWith("{"))
        .map(
          (l) =>
            JSON.parse(l) as {
              type: string;
              step?: string;
              stepType?: string;
              object?: { name: string };
              time: number;
            },
        );
    // Interrupt while the first (3 s) stop is running.
    await waitFor("a stop under way", () =>
      events().some((e) => e.type === "step-start" && e.stepType === "stop-container"),
    );
    const interruptedAt = Date.now();
    run.kill("SIGINT");
    expect(await run.exited).toBe(130);

    const all = events();
    const stopping = all.find((e) => e.type === "step-start" && e.stepType === "stop-container");
    // The running stop ran to its end (the engine killed the container after stop_timeout) …
    expect(all.some((e) => e.type === "step-done" && e.step === stopping?.step)).toBe(true);
    // … nothing was started after the interrupt, and the rest was cancelled.
    expect(all.filter((e) => e.type === "step-start" && e.time > interruptedAt + 50)).toEqual([]);
    expect(all.filter((e) => e.type === "step-cancelled").length).toBeGreaterThan(0);
    expect(all.at(-2)).toMatchObject({ type: "run-done", ok: false, interrupted: true });
    // With --progress json the closing summary is an event too (issue 17), the last line.
    expect(all.at(-1)).toMatchObject({ type: "summary", interrupted: true, exitCode: 130 });
    expect(run.output().stderr).toContain("interrupted");
    // The old container it stopped is still there (not removed: that step was not started), exited.
    const stopped = (await rows(mapName)).find((r) => r.name === stopping?.object?.name);
    expect(stopped?.state).toBe("exited");
    expect(await exists(lockName(mapName))).toBe(false); // released on the way out

    await expectNextUpdateConverges(mapName, file);
  });

  it("stops waiting for another run's lock at once, exits 130 and changes nothing", async () => {
    const mapName = uniqueMapName("safety-sigint-lock");
    maps.push(mapName);
    const file = writeMap(folder.dir, slowMap(mapName, FIXTURE_IMAGES.base1), `${mapName}.yaml`);
    // Another run holds the lock (made by hand, valid for ten minutes).
    const tags = new Set((await engine.listImages()).flatMap((i) => i.RepoTags ?? []));
    if (!tags.has(MARKER_IMAGE)) {
      const [repository, tag] = MARKER_IMAGE.split(":") as [string, string];
      await engine.importImage(emptyTar(), repository, tag);
    }
    await engine.createContainer(lockName(mapName), {
      Image: MARKER_IMAGE,
      Cmd: ["berth-lock"],
      Labels: {
        [LABEL.map]: mapName,
        [LABEL.kind]: "lock",
        [LABEL.lockHolder]: "someone@elsewhere pid 1",
        [LABEL.lockExpires]: new Date(Date.now() + 10 * 60_000).toISOString(),
      },
      HostConfig: { NetworkMode: "none" },
    });

    const run = start(["-f", file, "update", "--lock-timeout", "20", "--progress", "plain"]);
    await waitFor("the wait for the lock", () => run.output().stderr.includes("waiting for the lock"));
    const interruptedAt = Date.now();
    run.kill("SIGINT");
    const code = await run.exited;
    // It neither waits out --lock-timeout nor reports a lock failure as an error.
    expect(Date.now() - interruptedAt, run.output().stderr).toBeLessThan(10_000);
    expect(code, run.output().stderr).toBe(130);
    expect((await rows(mapName)).map((r) => r.name)).toEqual([lockName(mapName)]);
  });
});
