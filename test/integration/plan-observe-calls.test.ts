import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMap, observeAndPlan, readOnly } from "../../src/index.js";
import { berth, tempFolder, writeMap } from "../helpers/cli.js";
import { FIXTURE_IMAGES, removeMapObjects, testEngine, uniqueMapName } from "../helpers/engine.js";
import { mapContainers } from "../helpers/plan-json.js";

/**
 * Issue "Observe and plan": observing is a constant number of engine calls whatever the map's
 * size — one list each of containers, volumes, networks and images — so a no-op plan of a
 * 100-container map costs what one of a 10-container map costs.
 */
const engine = testEngine();
const folder = tempFolder("observe-calls");
const maps = {
  large: { name: uniqueMapName("calls100"), size: 100, file: "" },
  small: { name: uniqueMapName("calls10"), size: 10, file: "" },
};

/** A generated map: `size` tiny containers (the sleeping busybox, capped at 16 MiB). */
function mapText(mapName: string, size: number): string {
  const lines = [
    `name: ${mapName}`,
    "x-tiny: &tiny",
    `  image: ${FIXTURE_IMAGES.base1}`,
    "  host_config: {mem_limit: 16m}",
  ];
  for (let i = 0; i < size; i++) lines.push(`c${String(i).padStart(3, "0")}: *tiny`);
  return `${lines.join("\n")}\n`;
}

beforeAll(async () => {
  for (const map of Object.values(maps))
    map.file = writeMap(folder.dir, mapText(map.name, map.size), `${map.name}.yaml`);
  // Starting 110 containers takes a while on a small engine; both maps start side by side.
  const runs = await Promise.all(
    Object.values(maps).map((map) =>
      berth(["-f", map.file, "startup", "--parallel", "16", "--progress", "quiet"]),
    ),
  );
  for (const run of runs) expect(run.code, run.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await Promise.all(
    Object.values(maps).map((map) =>
      berth(["-f", map.file, "shutdown", "--parallel", "16", "--progress", "quiet"]),
    ),
  );
  for (const map of Object.values(maps)) await removeMapObjects(engine, map.name);
  folder.remove();
}, 300_000);

/** Observes and plans with a fresh engine; returns its call counts and the plan. */
async function countedPlan(file: string, action: "update" | "startup") {
  const fresh = testEngine();
  const { plan } = await observeAndPlan(loadMap({ files: [file] }), { default: readOnly(fresh) }, { action });
  return { plan, total: fresh.calls.total, calls: fresh.calls.snapshot() };
}

describe("engine calls of a no-op plan", () => {
  it("are the same four list calls for a 100-container and a 10-container map", async () => {
    for (const map of Object.values(maps)) {
      const containers = await mapContainers(engine, map.name);
      expect(containers.size, map.name).toBe(map.size);
      expect(
        [...containers.values()].every((c) => c.state === "running"),
        map.name,
      ).toBe(true);
    }
    const expected = { "list containers": 1, "list images": 1, "list networks": 1, "list volumes": 1 };

    const large = await countedPlan(maps.large.file, "update");
    expect(large.plan.steps).toEqual([]);
    expect(large.plan.changes).toEqual([]);
    expect(large.total).toBe(4);
    expect(large.calls).toEqual(expected);

    const small = await countedPlan(maps.small.file, "update");
    expect(small.plan.steps).toEqual([]);
    expect(small.total).toBe(large.total);
    expect(small.calls).toEqual(large.calls);

    // startup plans the same way.
    const startup = await countedPlan(maps.large.file, "startup");
    expect(startup.plan.steps).toEqual([]);
    expect(startup.calls).toEqual(expected);
  });
});
