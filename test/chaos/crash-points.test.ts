import { afterAll, describe, expect, it } from "vitest";
import { berth } from "../helpers/cli.js";
import {
  anonymousMounted,
  converge,
  crashMap,
  removeVolumes,
  updateKilledAt,
  writeRandomData,
  type KillPoint,
} from "../helpers/crash-map.js";
import { removeMapObjects } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";

/**
 * Crash points (issue 15, campaign): `berth update` of a recreate cascade is SIGKILLed at every
 * few progress events — just after a step starts (mid-call) or ends, for every step kind — and
 * the next `berth update` must converge: an empty next plan, no temporary container, no lock,
 * no byte lost in the named and anonymous volumes, no anonymous volume left behind.
 */
const POINTS = Number(process.env.BERTH_CRASH_POINTS ?? 36);
const workspace = mapWorkspace("crash-points");
const { engine } = workspace;
const seenVolumes = new Set<string>();

const maps: string[] = [];
afterAll(async () => {
  // The anonymous volumes can go once the containers that mount them are gone.
  for (const mapName of maps) await removeMapObjects(engine, mapName);
  await removeVolumes(engine, seenVolumes);
});

/** Event indexes spread over a whole run, first and last included. */
function sweep(total: number, count: number): number[] {
  const out = new Set<number>();
  for (let i = 0; i < count; i++) out.add(1 + Math.round((i * (total - 1)) / Math.max(1, count - 1)));
  return [...out];
}

describe("SIGKILL at crash points of a recreate cascade", () => {
  it(
    `converges after a kill at each of ${POINTS} points, with no leftover and no byte lost`,
    async () => {
      const mapName = workspace.name("crash");
      maps.push(mapName);
      let version = 0;
      const write = () => workspace.write(mapName, crashMap(mapName, String(++version)));
      let file = write();
      const first = await berth(["-f", file, "startup", "--progress", "quiet"]);
      expect(first.code, first.stderr).toBe(0);
      const expected = await writeRandomData(engine, mapName);
      for (const v of await anonymousMounted(engine, mapName)) seenVolumes.add(v);

      // One uninterrupted run counts the progress events of a cascade.
      file = write();
      const calibration = await berth(["-f", file, "update", "--progress", "json"]);
      expect(calibration.code, calibration.stderr).toBe(0);
      const total = calibration.stderr.split("\n").filter((l) => /"type":"step-(start|done)"/.test(l)).length;

      const points: KillPoint[] = [];
      const failures: string[] = [];
      for (const event of sweep(total, POINTS)) {
        file = write();
        const point = await updateKilledAt(file, event);
        if (point !== undefined) points.push(point);
        const result = await converge(engine, mapName, file, expected);
        const mounted = await anonymousMounted(engine, mapName);
        for (const v of mounted) seenVolumes.add(v);
        const dangling = [...seenVolumes].filter((v) => !mounted.has(v));
        const label = `kill after event ${event} (${point?.type ?? "run ended"} ${point?.stepType ?? ""} ${point?.object ?? ""})`;
        if (result.code !== 0) failures.push(`${label}: next update exited ${result.code}: ${result.stderr}`);
        if (result.nextPlan !== 0) failures.push(`${label}: next plan not empty`);
        if (result.leftovers.length > 0) failures.push(`${label}: leftovers ${result.leftovers.join(", ")}`);
        if (result.lost.length > 0) failures.push(`${label}: data changed in ${result.lost.join(", ")}`);
        if (dangling.length > 0) failures.push(`${label}: anonymous volumes left ${dangling.join(", ")}`);
        console.log(`${label}: ${failures.length} failure(s) so far`);
      }
      const kinds = [...new Set(points.map((p) => `${p.type} ${p.stepType}`))].sort();
      console.log(
        JSON.stringify(
          { campaign: "crash-points", events: total, kills: points.length, kinds, failures },
          null,
          1,
        ),
      );
      expect(points.length).toBeGreaterThanOrEqual(Math.min(POINTS, 30));
      expect(failures).toEqual([]);
    },
    POINTS * 45_000,
  );
});
