import { describe, expect, it } from "vitest";
import { loadMap, observeEngine, readOnly, reconcile } from "../../src/index.js";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES, mapContainers, testEngine } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";

/**
 * The CLI starts observing the default engine before it loads the map (the engine lists while
 * berth parses). That early look is only ever a first look: what is applied is planned again under
 * the lock from a fresh observation. (A bad map is still reported before an unreachable engine: see
 * cli-bundle.test.ts, where DOCKER_HOST can be set for a process.)
 */
const workspace = mapWorkspace("early-observation");
const { engine } = workspace;

function newMap(prefix: string): { mapName: string; file: string } {
  const mapName = workspace.name(prefix);
  const text = `name: ${mapName}\nweb:\n  image: ${FIXTURE_IMAGES.base1}\n  host_config: {mem_limit: 16m}\n`;
  return { mapName, file: workspace.write(mapName, text) };
}

describe("an observation started before the map is loaded", () => {
  it("is not what gets applied: a stale early look is planned again under the lock", async () => {
    const { mapName, file } = newMap("early-stale");
    // Taken before the container exists: it says `web` is missing.
    const stale = await observeEngine(readOnly(engine));
    const started = await berth(["-f", file, "startup", "--progress", "quiet"]);
    expect(started.code, started.stderr).toBe(0);
    const before = await mapContainers(engine, mapName);
    expect(before).toHaveLength(1);

    const { plan, result } = await reconcile(
      loadMap({ files: [file] }),
      { default: testEngine() },
      { action: "update", started: { default: Promise.resolve(stale) } },
    );

    // The fresh look under the lock found nothing to do: no second `web`, no name conflict.
    expect(plan.steps).toEqual([]);
    expect(result?.ok).toBe(true);
    expect(await mapContainers(engine, mapName)).toEqual(before);
  });

  it("answers a no-op run when it is current", async () => {
    const { file } = newMap("early-current");
    expect((await berth(["-f", file, "startup", "--progress", "quiet"])).code).toBe(0);
    const run = await berth(["-f", file, "update", "--progress", "plain"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("No changes. The engine matches the map.");
  });
});
