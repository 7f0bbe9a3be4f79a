import { describe, expect, it } from "vitest";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
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
});
