import { afterAll, describe, expect, it } from "vitest";
import { berth } from "../helpers/cli.js";
import {
  anonymousMounted,
  converge,
  crashMap,
  removeVolumes,
  updateKilledAt,
  writeRandomData,
} from "../helpers/crash-map.js";
import { removeMapObjects } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";

/**
 * The fast part of the crash-point campaign (test/chaos/crash-points.test.ts kills at 36 points):
 * `berth update` of a recreate cascade is SIGKILLed mid-call early in the run, in its middle,
 * and after its last step (110 progress events: the lock is left behind, and the next run has
 * nothing else to do); each time the next update converges with no temporary container, no
 * lock and no byte lost in the named and anonymous volumes.
 */
const workspace = mapWorkspace("crash-fast");
const { engine } = workspace;
const maps: string[] = [];
const seenVolumes = new Set<string>();

afterAll(async () => {
  for (const mapName of maps) await removeMapObjects(engine, mapName);
  await removeVolumes(engine, seenVolumes);
});

describe("SIGKILL at three crash points of a recreate cascade", () => {
  it("converges each time, with no leftover and every byte intact", async () => {
    const mapName = workspace.name("crash");
    maps.push(mapName);
    let version = 0;
    const write = () => workspace.write(mapName, crashMap(mapName, String(++version)));
    const first = await berth(["-f", write(), "startup", "--progress", "quiet"]);
    expect(first.code, first.stderr).toBe(0);
    const expected = await writeRandomData(engine, mapName);
    for (const v of await anonymousMounted(engine, mapName)) seenVolumes.add(v);

    for (const event of [2, 55, 110]) {
      const file = write();
      const point = await updateKilledAt(file, event);
      expect(point, `the run ended before event ${event}`).toBeDefined();
      const result = await converge(engine, mapName, file, expected);
      expect(result.code, result.stderr).toBe(0);
      expect(result).toMatchObject({ leftovers: [], lost: [], nextPlan: 0 });
      const mounted = await anonymousMounted(engine, mapName);
      expect([...seenVolumes].filter((v) => !mounted.has(v))).toEqual([]);
    }
  });
});
