import { afterAll, describe, expect, it } from "vitest";
import { tempFolder, writeMap } from "../../helpers/cli.js";
import { FIXTURE_IMAGES, uniqueMapName } from "../../helpers/engine.js";
import { planJson, runJson } from "../../helpers/plan-json.js";
import { removeSwarmMapObjects } from "../../helpers/swarm-cleanup.js";
import { manager, writeSwarmClients } from "../../helpers/swarm.js";

/**
 * A rolling update whose new tasks fail: Swarm rolls the service back (failure_action rollback,
 * berth's default), and berth's run fails naming the service and the task's error.
 */
const folder = tempFolder("swarm-rollback");
const clientsFile = writeSwarmClients(folder.dir);
const name = uniqueMapName("swroll");
const fileArgs = (file: string) => ["-f", file, "--clients", clientsFile];
const mapText = (command: string) => `
name: ${name}
clients: [sw]
web:
  image: ${FIXTURE_IMAGES.base1}
  instances: [a, b]
  command: [sh, -c, "${command}"]
  swarm: {update_config: {monitor: 2s}}
`;
const file = writeMap(
  folder.dir,
  mapText("trap 'exit 0' TERM; while true; do sleep 1; done"),
  `${name}.yaml`,
);
const web = `${name}-web`;

afterAll(async () => {
  await removeSwarmMapObjects(name);
  folder.remove();
});

describe("a failed rolling update on a swarm", () => {
  it("is rolled back by Swarm, and the run fails naming the service and the task error", async () => {
    const up = await runJson(fileArgs(file), "startup");
    expect(up.code, up.stderr).toBe(0);
    const before = (await manager().inspectService(web)).Spec.TaskTemplate.ContainerSpec;

    writeMap(folder.dir, mapText("echo broken; exit 3"), `${name}.yaml`);
    const update = await runJson(fileArgs(file), "update");
    expect(update.code).not.toBe(0);
    const failed = update.result.results.find((r) => r.status === "failed");
    expect(failed?.type).toBe("update-service");
    expect(failed?.message).toMatch(
      new RegExp(
        `sw: update service ${web}: the rolling update failed and Swarm rolled back to the previous spec: .*task error: .*exit code 3`,
      ),
    );
    const after = await manager().inspectService(web);
    expect(after.Spec.TaskTemplate.ContainerSpec).toEqual(before);
    expect(after.UpdateStatus?.State).toBe("rollback_completed");

    // The map still asks for the broken command: the next plan says so.
    const again = await planJson(fileArgs(file));
    expect(again.changes.map((c) => `${c.change} ${c.object.name}`)).toEqual([`update ${web}`]);
  });
});
