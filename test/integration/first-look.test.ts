import { describe, expect, it } from "vitest";
import { engineSocketPath } from "../../bench/proxy.js";
import { requestLists } from "../../src/cli/prefetch.js";
import { PrefetchedReader } from "../../src/cli/prefetched-reader.js";
import { dryRun, loadMap, readOnly, reconcile } from "../../src/index.js";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES, mapContainers, testEngine } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";

/**
 * reconcile's first look (ReconcileOptions.firstLook) only ever concludes that there is nothing
 * to do: what is applied, or shown by a dry run, is planned from a look through the engines
 * themselves. Here the first look reads lists fetched before the containers existed (the CLI's
 * prefetch, made stale). (A bad map is still reported before an unreachable engine: see
 * cli-bundle.test.ts, where DOCKER_HOST can be set for a process.)
 */
const workspace = mapWorkspace("first-look");
const { engine } = workspace;

function newMap(prefix: string): { mapName: string; file: string } {
  const mapName = workspace.name(prefix);
  const text = `name: ${mapName}\nweb:\n  image: ${FIXTURE_IMAGES.base1}\n  host_config: {mem_limit: 16m}\n`;
  return { mapName, file: workspace.write(mapName, text) };
}

/** A first look at the engine as it is now, read later. */
async function staleLook() {
  const lists = await requestLists(engineSocketPath());
  return { default: new PrefetchedReader(readOnly(testEngine()), lists) };
}

describe("a first look", () => {
  it("is not what gets applied: a stale one is planned again under the lock", async () => {
    const { mapName, file } = newMap("stale-apply");
    // Taken before the container exists: it says `web` is missing.
    const firstLook = await staleLook();
    const started = await berth(["-f", file, "startup", "--progress", "quiet"]);
    expect(started.code, started.stderr).toBe(0);
    const before = await mapContainers(engine, mapName);
    expect(before).toHaveLength(1);

    const { plan, result } = await reconcile(
      loadMap({ files: [file] }),
      { default: testEngine() },
      { action: "update", firstLook },
    );

    // The fresh look under the lock found nothing to do: no second `web`, no name conflict.
    expect(plan.steps).toEqual([]);
    expect(result?.ok).toBe(true);
    expect(await mapContainers(engine, mapName)).toEqual(before);
  });

  it("is not what a dry run shows when it finds something to do", async () => {
    const { file } = newMap("stale-dry");
    const firstLook = await staleLook();
    expect((await berth(["-f", file, "startup", "--progress", "quiet"])).code).toBe(0);
    const map = loadMap({ files: [file] });
    const readers = { default: readOnly(testEngine()) };
    expect((await dryRun(map, readers, { action: "update", firstLook })).steps).toEqual([]);
    const viaReconcile = await reconcile(
      map,
      { default: testEngine() },
      { action: "update", dryRun: true, firstLook: await staleLook() },
    );
    expect(viaReconcile.plan.steps).toEqual([]);
    expect(viaReconcile.result).toBeUndefined();
  });

  it("answers a no-op run when it is current", async () => {
    const { file } = newMap("current");
    expect((await berth(["-f", file, "startup", "--progress", "quiet"])).code).toBe(0);
    const run = await berth(["-f", file, "update", "--progress", "plain"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("No changes. The engine matches the map as far as");
    const current = await reconcile(
      loadMap({ files: [file] }),
      { default: testEngine() },
      {
        action: "update",
        firstLook: await staleLook(),
      },
    );
    expect(current.plan.steps).toEqual([]);
    expect(current.result).toEqual({ ok: true, interrupted: false, results: [], durationMs: 0 });
  });
});
