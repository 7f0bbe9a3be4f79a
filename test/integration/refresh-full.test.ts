import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";
import { planJson } from "../helpers/plan-json.js";

/**
 * Issue 14 item 5 on the real engine: `docker update` by hand is invisible to the default look (its
 * four list calls cannot show limits), and `--refresh full` sees it, plans the update in place with
 * the reason, and converges.
 */
const workspace = mapWorkspace("refresh-full");
const docker = promisify(execFile);

describe("--refresh full", () => {
  it("sees limits and a restart policy changed with docker update, and puts them back in place", async () => {
    const mapName = workspace.name("drift");
    const files = [
      "-f",
      workspace.write(
        mapName,
        `
name: ${mapName}
web:
  image: ${FIXTURE_IMAGES.base1}
  restart: always
  host_config: {mem_limit: 64m, cpu_shares: 512}
`,
      ),
    ];
    expect((await berth([...files, "startup", "--progress", "quiet"])).code).toBe(0);
    const name = `${mapName}.web`;
    const before = await workspace.engine.inspectContainer(name);
    await docker("docker", ["update", "--memory", "200m", "--memory-swap", "400m", "--restart", "no", name]);

    expect((await planJson(files)).steps).toEqual([]);
    const full = await planJson(files, ["--refresh", "full"]);
    expect(full.options.refresh).toBe("full");
    const update = full.changes.find((c) => c.object.key === "web" && c.change === "update");
    expect(update?.reasons.map((r) => r.field).sort()).toEqual(["host_config.mem_limit", "restart"]);

    const run = await berth([...files, "update", "--refresh", "full", "--progress", "quiet"]);
    expect(run.code, run.stderr).toBe(0);
    const after = await workspace.engine.inspectContainer(name);
    expect(after.Id).toBe(before.Id);
    expect(after.HostConfig.Memory).toBe(64 * 1024 ** 2);
    expect(after.HostConfig.RestartPolicy?.Name).toBe("always");
    expect((await planJson(files, ["--refresh", "full"])).steps).toEqual([]);
  });
});
