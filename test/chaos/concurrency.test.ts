import { describe, expect, it } from "vitest";
import { LABEL } from "../../src/model/labels.js";
import { runBuilt } from "../helpers/built-cli.js";
import { CRASH_CONTAINERS, crashMap } from "../helpers/crash-map.js";
import { mapWorkspace } from "../helpers/map-workspace.js";

/**
 * Concurrency (issue 15, campaign): 2 and 5 `berth update` processes on one map at once, and
 * two maps at once, each run recreating a 13-container cascade. Every run ends with success (it
 * waited for the lock, then found nothing left to do) or with a clear "locked" message; the map
 * converges with no temporary container, no lock and no renewal left.
 */
const workspace = mapWorkspace("concurrency");
const { engine } = workspace;

interface MapUnderTest {
  mapName: string;
  change(): string;
}

function newMap(prefix: string): MapUnderTest {
  const mapName = workspace.name(prefix);
  let version = 0;
  return { mapName, change: () => workspace.write(mapName, crashMap(mapName, String(++version))) };
}

async function leftovers(mapName: string): Promise<string[]> {
  const wanted = new Set(CRASH_CONTAINERS.map((c) => `${mapName}.${c}`));
  return (await engine.listContainers({ [LABEL.map]: mapName }))
    .map((c) => (c.Names.find((n) => n.lastIndexOf("/") === 0) ?? c.Id).replace(/^\//, ""))
    .filter((n) => !wanted.has(n) && !n.startsWith("berth-state."));
}

/** Starts `runs` updates of each map at once; returns what went wrong (empty: all fine). */
async function race(maps: MapUnderTest[], runs: number): Promise<string[]> {
  const files = maps.map((m) => m.change());
  const results = await Promise.all(
    files.flatMap((file) =>
      Array.from({ length: runs }, () =>
        runBuilt(["-f", file, "update", "--progress", "plain", "--lock-timeout", "180"]),
      ),
    ),
  );
  const problems: string[] = [];
  for (const run of results) {
    const clearLockWait = run.code === 1 && /is locked on engine/.test(run.stderr);
    if (run.code !== 0 && !clearLockWait) problems.push(`exit ${run.code}: ${run.stderr}`);
    if (/already in use|conflict/i.test(run.stderr)) problems.push(`conflict: ${run.stderr}`);
  }
  for (const [i, map] of maps.entries()) {
    const plan = await runBuilt(["-f", files[i] as string, "plan", "--detailed-exitcode"]);
    if (plan.code !== 0) problems.push(`${map.mapName}: next plan exit ${plan.code}: ${plan.stdout}`);
    const left = await leftovers(map.mapName);
    if (left.length > 0) problems.push(`${map.mapName}: leftovers ${left.join(", ")}`);
  }
  console.log(
    JSON.stringify({
      campaign: "concurrency",
      maps: maps.length,
      runs,
      codes: results.map((r) => r.code),
      problems,
    }),
  );
  return problems;
}

describe("concurrent runs", () => {
  const one = newMap("conc-one");
  const a = newMap("conc-a");
  const b = newMap("conc-b");

  it("the first deploys converge", async () => {
    expect(await race([one, a, b], 1)).toEqual([]);
  });

  it("2 runs of one map", async () => {
    expect(await race([one], 2)).toEqual([]);
  });

  it("5 runs of one map", async () => {
    expect(await race([one], 5)).toEqual([]);
  });

  it("two maps at once, 2 runs each", async () => {
    expect(await race([a, b], 2)).toEqual([]);
  });
});
