import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";

/**
 * Issue 14 item 10 on the real engine: a host port held by a container made by hand is found at
 * plan time, and the recreate that needs it is refused before the old container is touched.
 */
const workspace = mapWorkspace("port-conflict");
const docker = promisify(execFile);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

describe("a host port held by a foreign container", () => {
  it("refuses the recreate at plan time and leaves the old container as it was", async () => {
    const mapName = workspace.name("ports");
    const port = await freePort();
    const mapText = (v: string) => `
name: ${mapName}
web:
  image: ${FIXTURE_IMAGES.base1}
  environment: {V: "${v}"}
  exposes: [[80, ${port}]]
`;
    const files = ["-f", workspace.write(mapName, mapText("1"))];
    expect((await berth([...files, "startup", "--progress", "quiet"])).code).toBe(0);
    const before = await workspace.engine.inspectContainer(`${mapName}.web`);
    await workspace.engine.stopContainer(before.Id, 1);
    const foreign = `${mapName}-hand-made`;
    await docker("docker", ["run", "-d", "--name", foreign, "-p", `${port}:9000`, FIXTURE_IMAGES.base1]);
    try {
      workspace.write(mapName, mapText("2"));
      const run = await berth([...files, "update", "--progress", "quiet"]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`holds 0.0.0.0:${port}/tcp`);
      expect(run.stderr).toContain(foreign);
      const after = await workspace.engine.inspectContainer(`${mapName}.web`);
      expect(after.Id).toBe(before.Id);
    } finally {
      await docker("docker", ["rm", "-f", foreign]);
    }
  });
});
