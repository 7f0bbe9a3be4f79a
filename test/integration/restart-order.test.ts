import { describe, expect, it } from "vitest";
import { loadMap, observeAndPlan, readOnly } from "../../src/index.js";
import { docker } from "../helpers/checker/docker-cli.js";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES, testEngine } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";
import { planJson } from "../helpers/plan-json.js";

/**
 * Issue 14 items 3 and 4 on the real engine: `restart` of a map with links and network_mode
 * follows the dependency graph at full parallelism, and a container that joins another one's
 * network namespace is restarted with it, so it never sits in a dead namespace with loopback only.
 */
const workspace = mapWorkspace("restart-order");

const mapText = (mapName: string) => `
name: ${mapName}
db:
  image: ${FIXTURE_IMAGES.base1}
app:
  image: ${FIXTURE_IMAGES.base1}
  links: db
sidecar:
  image: ${FIXTURE_IMAGES.base1}
  network_mode: db
web:
  image: ${FIXTURE_IMAGES.base1}
  links: app
`;

/** The network interfaces a container sees (`lo`, `eth0`, …). */
async function interfaces(containerName: string): Promise<string[]> {
  const result = await workspace.engine.exec(containerName, ["ls", "/sys/class/net"]);
  expect(result.exitCode, result.output).toBe(0);
  return result.output
    .split(/\s+/)
    .filter((n) => n !== "")
    .sort();
}

describe("restart and network namespaces", () => {
  it("restarts linked and network_mode dependents in graph order, at full parallelism", async () => {
    const mapName = workspace.name("restart");
    const files = ["-f", workspace.write(mapName, mapText(mapName))];
    const started = await berth([...files, "startup", "--progress", "quiet"]);
    expect(started.code, started.stderr).toBe(0);
    for (let round = 0; round < 3; round++) {
      const restarted = await berth([...files, "restart", "--progress", "plain", "--parallel", "8"]);
      expect(restarted.code, restarted.stderr).toBe(0);
    }
    const restartDb = await berth([...files, "restart", "db", "--progress", "quiet"]);
    expect(restartDb.code, restartDb.stderr).toBe(0);
    for (const key of ["db", "app", "sidecar", "web"]) {
      const details = await workspace.engine.inspectContainer(`${mapName}.${key}`);
      expect(details.State.Running, key).toBe(true);
    }
    expect(await interfaces(`${mapName}.sidecar`)).toContain("eth0");
  });

  it("a network_mode sharer is restarted when update starts its stopped target", async () => {
    const mapName = workspace.name("rejoin");
    const files = ["-f", workspace.write(mapName, mapText(mapName))];
    const started = await berth([...files, "startup", "--progress", "quiet"]);
    expect(started.code, started.stderr).toBe(0);
    await workspace.engine.stopContainer(`${mapName}.db`, 1);
    const plan = await planJson(files);
    const sidecar = plan.changes.find((c) => c.object.key === "sidecar");
    expect(sidecar?.change).toBe("restart");
    const updated = await berth([...files, "update", "--progress", "quiet"]);
    expect(updated.code, updated.stderr).toBe(0);
    expect(await interfaces(`${mapName}.sidecar`)).toContain("eth0");
    expect((await planJson(files)).steps).toEqual([]);
  });

  // Issue 14 item 4: the target restarted by hand, berth not involved. The list calls cannot see
  // it; the start times of the sharer and its target (two inspects) do.
  for (const how of ["docker restart", "docker stop + docker start"] as const) {
    it(`a network_mode sharer whose target went through ${how} is restarted by the next update`, async () => {
      const mapName = workspace.name("byhand");
      const file = workspace.write(mapName, mapText(mapName));
      const files = ["-f", file];
      const started = await berth([...files, "startup", "--progress", "quiet"]);
      expect(started.code, started.stderr).toBe(0);
      const db = `${mapName}.db`;
      if (how === "docker restart") await docker("restart", "-t", "1", db);
      else {
        await docker("stop", "-t", "1", db);
        await docker("start", db);
      }
      expect(await interfaces(`${mapName}.sidecar`)).toEqual(["lo"]);

      const plan = await planJson(files);
      expect(plan.changes.map((c) => `${c.change} ${c.object.key ?? c.object.name}`)).toEqual([
        "restart sidecar",
      ]);
      expect(plan.changes[0]?.reasons).toEqual([
        {
          message:
            "db was started again after this container (by hand, or by its restart policy): its network namespace belongs to a previous start of db; restarted to join the current one",
          cause: { object: "db", change: "restarted", edge: "network-mode" },
        },
      ]);
      const shown = await berth([...files, "plan"]);
      expect(shown.stdout).toContain("its network namespace belongs to a previous start of db");

      // The cost: the four lists, and one inspect each for the running sharer and its target.
      const counted = testEngine();
      await observeAndPlan(loadMap({ files: [file] }), { default: readOnly(counted) }, { action: "update" });
      expect(counted.calls.snapshot()).toEqual({
        "list containers": 1,
        "list images": 1,
        "list networks": 1,
        "list volumes": 1,
        "inspect container": 2,
      });

      const updated = await berth([...files, "update", "--progress", "quiet"]);
      expect(updated.code, updated.stderr).toBe(0);
      expect(await interfaces(`${mapName}.sidecar`)).toEqual(["eth0", "lo"]);
      expect((await planJson(files)).steps).toEqual([]);
    });
  }
});
