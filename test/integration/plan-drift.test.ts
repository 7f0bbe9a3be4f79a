import { afterAll, describe, expect, it } from "vitest";
import { isEngineNotFoundError } from "../../src/engine/engine-errors.js";
import { LABEL } from "../../src/model/labels.js";
import type { ObjectChange, Plan } from "../../src/plan/plan-types.js";
import { berth, tempFolder, writeMap } from "../helpers/cli.js";
import { FIXTURE_IMAGES, removeMapObjects, testEngine, uniqueMapName } from "../helpers/engine.js";
import { expectPlanMatchesSchema, mapContainers, planJson } from "../helpers/plan-json.js";

/**
 * Issue "Observe and plan": states made by berth, then changed by hand through the engine
 * (drift), and what `plan --json` says about them: changes, reasons and steps.
 */
const engine = testEngine();
const mapName = uniqueMapName("drift");
const takenMap = uniqueMapName("taken");
const folder = tempFolder("drift");
/** Objects made by hand without berth's labels; removed by name at the end. */
const extraNetwork = `${mapName}-byhand`;
const foreignContainer = `${takenMap}.web`;

const file = writeMap(
  folder.dir,
  `
name: ${mapName}
networks:
  back: {}
stopped:
  image: ${FIXTURE_IMAGES.base1}
removed:
  image: ${FIXTURE_IMAGES.base1}
swapped:
  image: ${FIXTURE_IMAGES.base1}
wired:
  image: ${FIXTURE_IMAGES.base1}
  networks: back
untouched:
  image: ${FIXTURE_IMAGES.base1}
`,
  "drift.yaml",
);
const files = ["-f", file];
const name = (key: string) => `${mapName}.${key}`;
const ignoreMissing = (err: unknown) => {
  if (!isEngineNotFoundError(err)) throw err;
};

afterAll(async () => {
  await removeMapObjects(engine, mapName);
  await removeMapObjects(engine, takenMap);
  await engine.removeContainer(foreignContainer, { force: true }).catch(ignoreMissing);
  await engine.removeNetwork(extraNetwork).catch(ignoreMissing);
  folder.remove();
});

function changeOf(plan: Plan, key: string): ObjectChange | undefined {
  return plan.changes.find((c) => c.object.kind === "container" && c.object.key === key);
}

function stepsOf(plan: Plan, key: string): string[] {
  return plan.steps.filter((s) => s.object.key === key).map((s) => s.type);
}

async function imageId(reference: string): Promise<string> {
  const images = await engine.listImages();
  const found = images.find((i) => (i.RepoTags ?? []).includes(reference));
  if (found === undefined) throw new Error(`no image ${reference}`);
  return found.Id;
}

describe("plan after hand-made drift", () => {
  it("plans a start, a create, a recreate and a disconnect for what was changed by hand", async () => {
    const started = await berth([...files, "startup", "--progress", "quiet"]);
    expect(started.code, started.stderr).toBe(0);
    const clean = await planJson(files);
    expect(clean.steps).toEqual([]);

    // Drift, made through the engine layer as a person would with the docker CLI.
    await engine.stopContainer(name("stopped"), 5);
    await engine.removeContainer(name("removed"), { force: true });
    const swapped = await engine.inspectContainer(name("swapped"));
    await engine.removeContainer(swapped.Id, { force: true });
    const handMade = await engine.createContainer(name("swapped"), {
      Image: FIXTURE_IMAGES.base2,
      Labels: swapped.Config.Labels ?? {},
    });
    await engine.startContainer(handMade);
    await engine.createNetwork({ Name: extraNetwork });
    await engine.connectNetwork(extraNetwork, name("wired"));

    const plan = await planJson(files);
    expect(expectPlanMatchesSchema(plan), "schemas/plan.schema.json exists").toBe(true);
    expect(
      plan.changes.map((c) => `${c.change} ${c.object.kind} ${c.object.key ?? c.object.name}`).sort(),
    ).toEqual([
      "create container removed",
      "reconnect container wired",
      "recreate container swapped",
      "start container stopped",
    ]);

    expect(changeOf(plan, "stopped")?.reasons).toEqual([{ message: "container is exited (0)" }]);
    expect(stepsOf(plan, "stopped")).toEqual(["start-container"]);

    expect(changeOf(plan, "removed")?.reasons).toEqual([{ message: "container does not exist" }]);
    expect(stepsOf(plan, "removed").sort()).toEqual(["create-container", "start-container"]);

    const base1 = (await imageId(FIXTURE_IMAGES.base1)).replace(/^sha256:/, "").slice(0, 12);
    const base2 = (await imageId(FIXTURE_IMAGES.base2)).replace(/^sha256:/, "").slice(0, 12);
    expect(changeOf(plan, "swapped")?.reasons).toEqual([
      expect.objectContaining({ field: "image", old: base2, new: base1 }),
    ]);
    expect(stepsOf(plan, "swapped").sort()).toEqual(
      [
        "create-container",
        "remove-container",
        "rename-container",
        "start-container",
        "stop-container",
      ].sort(),
    );
    const removal = plan.steps.find((s) => s.type === "remove-container" && s.object.key === "swapped");
    expect(removal).toMatchObject({ container: handMade });

    expect(changeOf(plan, "wired")?.reasons).toEqual([
      { message: `connected to network ${extraNetwork}, which the map does not list` },
    ]);
    expect(plan.steps.filter((s) => s.object.key === "wired")).toEqual([
      expect.objectContaining({ type: "disconnect-network", network: extraNetwork }),
    ]);
    expect(stepsOf(plan, "untouched")).toEqual([]);

    // startup creates and starts, but leaves the outdated containers as they are.
    const startupPlan = await planJson(files, ["--action", "startup"]);
    expect(
      startupPlan.changes.map((c) => `${c.change} ${c.object.kind} ${c.object.key ?? c.object.name}`).sort(),
    ).toEqual([
      "create container removed",
      "outdated container swapped",
      "outdated container wired",
      "start container stopped",
    ]);
    expect(startupPlan.steps.filter((s) => s.object.key === "swapped" || s.object.key === "wired")).toEqual(
      [],
    );

    // And update repairs every one of them.
    const untouchedId = (await engine.inspectContainer(name("untouched"))).Id;
    const update = await berth([...files, "update", "--progress", "quiet"]);
    expect(update.code, update.stderr).toBe(0);
    const containers = await mapContainers(engine, mapName);
    expect([...containers.keys()].sort()).toEqual(
      ["removed", "stopped", "swapped", "untouched", "wired"].map(name),
    );
    for (const [containerName, c] of containers) expect(c.state, containerName).toBe("running");
    expect(containers.get(name("untouched"))?.id).toBe(untouchedId);
    const repaired = await engine.inspectContainer(name("swapped"));
    expect(repaired.Id).not.toBe(handMade);
    expect(await engine.exec(repaired.Id, ["cat", "/VERSION"])).toEqual({ exitCode: 0, output: "1\n" });
    const wired = await engine.inspectContainer(name("wired"));
    expect(Object.keys(wired.NetworkSettings.Networks ?? {})).toEqual([`${mapName}.back`]);
    expect((await planJson(files)).steps).toEqual([]);
  });

  it("fails with an error naming a container made by hand that holds a name the map needs", async () => {
    const taken = writeMap(
      folder.dir,
      `
name: ${takenMap}
web:
  image: ${FIXTURE_IMAGES.base1}
db:
  image: ${FIXTURE_IMAGES.base1}
`,
      "taken.yaml",
    );
    const foreignId = await engine.createContainer(foreignContainer, { Image: FIXTURE_IMAGES.base1 });

    const plan = await berth(["-f", taken, "plan", "--json"]);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toBe("");
    expect(plan.stderr).toContain(`container name ${foreignContainer} is taken`);
    expect(plan.stderr).toContain(foreignId.slice(0, 12));
    expect(plan.stderr).toContain("not created by berth");

    // A run fails the same way, before it changes anything.
    const run = await berth(["-f", taken, "startup", "--progress", "quiet"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(foreignContainer);
    expect(await engine.listContainers({ [LABEL.map]: takenMap })).toEqual([]);
    const foreign = await engine.inspectContainer(foreignContainer);
    expect(foreign.Id).toBe(foreignId);
    expect(foreign.State.Status).toBe("created");
  });
});
