import { afterAll, describe, expect, it } from "vitest";
import { readOnly } from "../../src/engine/engine.js";
import { loadMap } from "../../src/load-map.js";
import { observeAndPlan } from "../../src/reconcile.js";
import { berth, tempFolder, writeMap } from "../helpers/cli.js";
import { FIXTURE_IMAGES, removeMapObjects, testEngine, uniqueMapName } from "../helpers/engine.js";

/**
 * In-place changes (limits, restart policy, network aliases) are made with `docker update` and a
 * reconnect, never a recreate; labels cannot change, so berth records what it set in the map's
 * state container — and a value changed back is applied too, with no extra engine call.
 */
const engine = testEngine();
const mapName = uniqueMapName("inplace");
const folder = tempFolder("inplace");

afterAll(async () => {
  await removeMapObjects(engine, mapName);
  folder.remove();
});

const mapText = (memory: string, restart: string, aliases: string) => `
name: ${mapName}
networks:
  back: {}
app:
  image: ${FIXTURE_IMAGES.base1}
  restart: ${restart}
  host_config: {mem_limit: ${memory}}
  networks:
    back: {aliases: [${aliases}]}
`;

async function appDetails() {
  const details = await engine.inspectContainer(`${mapName}.app`);
  const aliases = details.NetworkSettings.Networks?.[`${mapName}.back`]?.Aliases ?? [];
  return {
    id: details.Id,
    memory: details.HostConfig.Memory as number,
    restart: details.HostConfig.RestartPolicy?.Name,
    aliases: aliases.filter((a) => a === "api" || a === "gateway").sort(),
  };
}

async function planCalls(text: string): Promise<{ steps: string[]; calls: number }> {
  const counted = testEngine();
  const map = loadMap({ files: ["m.yaml"], texts: { "m.yaml": text }, env: {} });
  const { plan } = await observeAndPlan(map, { default: readOnly(counted) }, { action: "update" });
  return { steps: plan.steps.map((s) => s.type), calls: counted.calls.total };
}

describe("in-place updates and the map's state record", () => {
  it("updates limits, restart policy and aliases in place, and applies a value changed back", async () => {
    const file = writeMap(folder.dir, mapText("64m", "always", "api"));
    expect((await berth(["-f", file, "startup", "--progress", "quiet"])).code).toBe(0);
    const first = await appDetails();
    expect(first).toMatchObject({ memory: 64 * 1024 ** 2, restart: "always", aliases: ["api"] });

    writeMap(folder.dir, mapText("128m", "unless-stopped", "api, gateway"));
    const changed = await planCalls(mapText("128m", "unless-stopped", "api, gateway"));
    expect(changed.steps).toContain("update-container");
    expect(changed.steps).not.toContain("create-container");
    expect(changed.steps).toContain("record-state");
    expect((await berth(["-f", file, "update", "--progress", "quiet"])).code).toBe(0);
    expect(await appDetails()).toEqual({
      id: first.id,
      memory: 128 * 1024 ** 2,
      restart: "unless-stopped",
      aliases: ["api", "gateway"],
    });

    // Converged: nothing to do, and still four list calls (the record is read from the list).
    expect(await planCalls(mapText("128m", "unless-stopped", "api, gateway"))).toEqual({
      steps: [],
      calls: 4,
    });

    // Back to the values the container was made with (its labels say those): still applied.
    writeMap(folder.dir, mapText("64m", "always", "api"));
    expect((await berth(["-f", file, "update", "--progress", "quiet"])).code).toBe(0);
    expect(await appDetails()).toEqual({
      id: first.id,
      memory: 64 * 1024 ** 2,
      restart: "always",
      aliases: ["api"],
    });
    expect(await planCalls(mapText("64m", "always", "api"))).toEqual({ steps: [], calls: 4 });
  });

  it("removes the state record with the map's last container", async () => {
    const file = writeMap(folder.dir, mapText("64m", "always", "api"));
    expect((await engine.listContainers({ "berth.map": mapName, "berth.kind": "state" })).length).toBe(1);
    expect((await berth(["-f", file, "shutdown", "--progress", "quiet"])).code).toBe(0);
    expect(await engine.listContainers({ "berth.map": mapName })).toEqual([]);
  });
});
