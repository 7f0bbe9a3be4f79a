import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/cli.js";
import { removeMapObjects, testEngine, uniqueMapName } from "../helpers/engine.js";

const engine = testEngine();
const mapName = uniqueMapName("api");

afterAll(async () => {
  await removeMapObjects(engine, mapName);
});

describe("examples/api/reconcile.ts", () => {
  it("reconciles a map through the API, plans nothing the second time, and shuts it down", async () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "examples/api/reconcile.ts"], {
      cwd: REPO_ROOT,
      env: { ...process.env, BERTH_EXAMPLE_MAP: mapName, NO_COLOR: "1" },
      encoding: "utf8",
      timeout: 90_000,
    });
    expect(run.stderr).not.toContain("failed:");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`map ${mapName}`);
    expect(run.stdout).toContain("3 to create");
    expect(run.stdout).toContain("second plan: 0 step(s)");
    expect(run.stdout).toContain("shutdown: ok");
    expect(await engine.listContainers({ "berth.map": mapName, "berth.kind": "container" })).toEqual([]);
    expect(await engine.listVolumes({ "berth.map": mapName })).toEqual([]);
  });
});
