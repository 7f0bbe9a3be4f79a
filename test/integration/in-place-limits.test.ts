import { afterAll, describe, expect, it } from "vitest";
import { readOnly } from "../../src/engine/engine.js";
import { loadMap } from "../../src/load-map.js";
import { observeAndPlan } from "../../src/reconcile.js";
import { berth, tempFolder, writeMap } from "../helpers/cli.js";
import { FIXTURE_IMAGES, removeMapObjects, testEngine, uniqueMapName } from "../helpers/engine.js";

/**
 * Limits the engine checks against each other are updated together. The engine sets memoryswap
 * to twice the memory at create when the map leaves it out, and refuses a memory above that
 * ("Memory limit should be smaller than already set memoryswap limit") unless memoryswap comes in
 * the same update: raising mem_limit must send both, or the update fails on every run.
 */
const engine = testEngine();
const mapName = uniqueMapName("limits");
const folder = tempFolder("limits");
const MiB = 1024 ** 2;

afterAll(async () => {
  await removeMapObjects(engine, mapName);
  folder.remove();
});

const mapText = (limits: string) => `
name: ${mapName}
app:
  image: ${FIXTURE_IMAGES.base1}
  host_config: {${limits}}
other:
  image: ${FIXTURE_IMAGES.base1}
`;

async function memoryOf(name: string): Promise<{ memory: unknown; swap: unknown; id: string }> {
  const details = await engine.inspectContainer(`${mapName}.${name}`);
  return { memory: details.HostConfig.Memory, swap: details.HostConfig.MemorySwap, id: details.Id };
}

async function planSteps(text: string): Promise<string[]> {
  const map = loadMap({ files: ["m.yaml"], texts: { "m.yaml": text }, env: {} });
  const { plan } = await observeAndPlan(map, { default: readOnly(testEngine()) }, { action: "update" });
  return plan.steps.map((s) => s.type);
}

describe("in-place memory limits", () => {
  it("raises mem_limit above the swap the engine set at create, and converges", async () => {
    const file = writeMap(folder.dir, mapText("mem_limit: 64m"));
    expect((await berth(["-f", file, "startup", "--progress", "quiet"])).code).toBe(0);
    const first = await memoryOf("app");
    expect(first).toMatchObject({ memory: 64 * MiB, swap: 128 * MiB });

    writeMap(folder.dir, mapText("mem_limit: 512m"));
    const run = await berth(["-f", file, "update", "--progress", "quiet"]);
    expect(run.stderr).not.toMatch(/memoryswap/);
    expect(run.code).toBe(0);
    // As a container created with 512m would have it: memoryswap twice the memory.
    expect(await memoryOf("app")).toEqual({ memory: 512 * MiB, swap: 1024 * MiB, id: first.id });
    expect(await planSteps(mapText("mem_limit: 512m"))).toEqual([]);
  });

  it("sets mem_limit on a container made without one, keeping a memswap_limit the map gives", async () => {
    const file = writeMap(folder.dir, mapText("mem_limit: 512m"));
    const before = await memoryOf("app");
    writeMap(folder.dir, mapText("mem_limit: 32m, memswap_limit: 48m"));
    expect((await berth(["-f", file, "update", "--progress", "quiet"])).code).toBe(0);
    expect(await memoryOf("app")).toEqual({ memory: 32 * MiB, swap: 48 * MiB, id: before.id });

    // `other` has no limit at all yet (memory and memoryswap 0).
    const withOther = `${mapText("mem_limit: 32m, memswap_limit: 48m")}  host_config: {mem_limit: 32m}\n`;
    const other = await memoryOf("other");
    writeMap(folder.dir, withOther);
    expect((await berth(["-f", file, "update", "--progress", "quiet"])).code).toBe(0);
    expect(await memoryOf("other")).toEqual({ memory: 32 * MiB, swap: 64 * MiB, id: other.id });
    expect(await planSteps(withOther)).toEqual([]);
  });
});
