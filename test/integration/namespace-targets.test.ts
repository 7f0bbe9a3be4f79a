import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";

/**
 * `ipc_mode: container:NAME` (and network_mode, pid_mode) names a Docker container: the engine
 * refuses a container whose target is missing or stopped. berth says so at plan time, before the
 * old container is touched, and makes it once the target runs.
 */
const workspace = mapWorkspace("namespace-targets");
const docker = promisify(execFile);

describe("a namespace shared by a container's name", () => {
  it("refuses a missing or stopped target at plan time; runs once it runs", async () => {
    const mapName = workspace.name("ipc");
    const target = `${mapName}-by-hand`;
    const mapText = (v: string) => `
name: ${mapName}
web:
  image: ${FIXTURE_IMAGES.base1}
  environment: {V: "${v}"}
  host_config: {ipc_mode: "container:${target}"}
`;
    const files = ["-f", workspace.write(mapName, mapText("1"))];
    const missing = await berth([...files, "startup", "--progress", "quiet"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      `has ipc_mode \`container:${target}\`, but no container of that name exists`,
    );
    await expect(workspace.engine.inspectContainer(`${mapName}.web`)).rejects.toThrow();

    await docker("docker", ["run", "-d", "--ipc", "shareable", "--name", target, FIXTURE_IMAGES.base1]);
    try {
      expect((await berth([...files, "startup", "--progress", "quiet"])).code).toBe(0);
      const before = await workspace.engine.inspectContainer(`${mapName}.web`);
      // The engine keeps the target's id: not a difference, even to a full look.
      const targetId = (await workspace.engine.inspectContainer(target)).Id;
      expect(before.HostConfig.IpcMode).toBe(`container:${targetId}`);
      const full = await berth([...files, "plan", "--refresh", "full", "--detailed-exitcode"]);
      expect(full.code, full.stdout).toBe(0);

      await docker("docker", ["stop", "-t", "1", target]);
      workspace.write(mapName, mapText("2"));
      const stopped = await berth([...files, "update", "--progress", "quiet"]);
      expect(stopped.code).toBe(1);
      expect(stopped.stderr).toContain(`container ${target} is exited`);
      // The old container was not touched.
      expect((await workspace.engine.inspectContainer(`${mapName}.web`)).Id).toBe(before.Id);
    } finally {
      await docker("docker", ["rm", "-f", `${mapName}.web`]).catch(() => undefined);
      await docker("docker", ["rm", "-f", target]);
    }
  });
});
