import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";

/**
 * Issue 14 item 8: "No changes. The engine matches the map." only when it does (and after a quick
 * look, only as far as that look sees); the orphan hint names flags the command accepts.
 */
const workspace = mapWorkspace("honesty");
const docker = promisify(execFile);

const mapText = (mapName: string, withExtra: boolean) => `
name: ${mapName}
app:
  image: ${FIXTURE_IMAGES.base1}
${withExtra ? `extra:\n  image: ${FIXTURE_IMAGES.base1}\n  shares: /cache\n` : ""}`;

describe("what a plan without steps says", () => {
  it("names orphans and paused containers instead of claiming the engine matches the map", async () => {
    const mapName = workspace.name("left");
    const file = workspace.write(mapName, mapText(mapName, true));
    const files = ["-f", file];
    expect((await berth([...files, "startup", "--progress", "quiet"])).code).toBe(0);
    const matching = await berth([...files, "plan"]);
    expect(matching.stdout + matching.stderr).toContain("No changes. The engine matches the map as far as");

    workspace.write(mapName, mapText(mapName, false));
    const orphaned = await berth([...files, "plan"]);
    expect(orphaned.code, orphaned.stderr).toBe(0);
    const said = orphaned.stdout + orphaned.stderr;
    expect(said).not.toContain("The engine matches the map");
    expect(said).toContain("1 object(s) of the map are no longer in it (`--remove-orphans` removes them)");

    await docker("docker", ["pause", `${mapName}.app`]);
    try {
      const paused = await berth([...files, "plan"]);
      expect(paused.stdout + paused.stderr).toMatch(/paused: berth leaves a paused container paused/);
      expect(paused.stdout + paused.stderr).toContain("left as they are");
    } finally {
      await docker("docker", ["unpause", `${mapName}.app`]);
    }
  });

  it("update takes --volumes with --remove-orphans, as the orphan hint says, and refuses it alone", async () => {
    const mapName = workspace.name("orphan-volumes");
    const file = workspace.write(mapName, mapText(mapName, true));
    const files = ["-f", file];
    expect((await berth([...files, "startup", "--progress", "quiet"])).code).toBe(0);
    const extra = await workspace.engine.inspectContainer(`${mapName}.extra`);
    const anonymous = extra.Mounts.find((m) => m.Destination === "/cache")?.Name ?? "";
    expect(anonymous).toMatch(/^[0-9a-f]{64}$/);
    workspace.write(mapName, mapText(mapName, false));

    const alone = await berth([...files, "update", "--volumes"]);
    expect(alone.code).toBe(1);
    expect(alone.stderr).toContain("--volumes on update removes the volumes of orphans");

    const removed = await berth([...files, "update", "--remove-orphans", "--volumes", "--progress", "quiet"]);
    expect(removed.code, removed.stderr).toBe(0);
    const volumes = await workspace.engine.listVolumes({});
    expect(volumes.map((v) => v.Name)).not.toContain(anonymous);
    const next = await berth([...files, "plan", "--refresh", "full"]);
    expect(next.stdout + next.stderr).toContain("No changes. The engine matches the map.");
  });

  it("a quick look does not claim more than it saw: a `docker update` by hand needs --refresh full", async () => {
    const mapName = workspace.name("quick-look");
    const file = workspace.write(
      mapName,
      `name: ${mapName}
app:
  image: ${FIXTURE_IMAGES.base1}
  host_config: {mem_limit: 64m}
`,
    );
    const files = ["-f", file];
    expect((await berth([...files, "startup", "--progress", "quiet"])).code).toBe(0);
    const full = await berth([...files, "plan", "--refresh", "full", "--detailed-exitcode"]);
    expect(full.code, full.stderr).toBe(0);
    expect(full.stdout + full.stderr).toContain("No changes. The engine matches the map.");

    await docker("docker", ["update", "--memory", "100m", "--memory-swap", "200m", `${mapName}.app`]);
    // The lists do not show a container's memory: the quick look finds nothing, and says how far it saw.
    const quick = await berth([...files, "plan", "--detailed-exitcode"]);
    expect(quick.code, quick.stderr).toBe(0);
    const said = quick.stdout + quick.stderr;
    expect(said).not.toContain("The engine matches the map.");
    expect(said).toContain("--refresh full");
    const seen = await berth([...files, "plan", "--refresh", "full", "--detailed-exitcode"]);
    expect(seen.code, seen.stderr).toBe(2);
    expect(seen.stdout).toContain("host_config.mem_limit: 100m → 64m");
  });
});
