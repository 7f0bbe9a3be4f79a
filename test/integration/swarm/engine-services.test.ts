import { afterAll, describe, expect, it } from "vitest";
import { isEngineConflictError } from "../../../src/engine/engine-errors.js";
import type { ServiceSpec } from "../../../src/engine/swarm-types.js";
import { LABEL } from "../../../src/model/labels.js";
import { extraEngine, FIXTURE_IMAGES, SWARM, uniqueMapName } from "../../helpers/engine.js";
import { removeSwarmMapObjects } from "../../helpers/swarm-cleanup.js";

/** The engine layer's Swarm calls against the test swarm's manager (e4). */
const mapName = uniqueMapName("swengine");
const manager = extraEngine(SWARM.manager);

function spec(env: string): ServiceSpec {
  return {
    Name: `${mapName}-probe`,
    Labels: { [LABEL.map]: mapName },
    TaskTemplate: {
      ContainerSpec: { Image: FIXTURE_IMAGES.base1, Command: ["sleep", "600"], Env: [`VALUE=${env}`] },
      RestartPolicy: { Condition: "any" },
    },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: { Mode: "dnsrr" },
  };
}

afterAll(async () => {
  await removeSwarmMapObjects(mapName);
});

describe("swarm calls of the engine", () => {
  it("creates, lists by label, updates with the version index and removes a service", async () => {
    const id = await manager.createService(spec("one"));
    const listed = await manager.listServices({ [LABEL.map]: mapName });
    expect(listed.map((s) => s.ID)).toEqual([id]);
    const read = listed[0];
    expect(read?.Spec.Name).toBe(`${mapName}-probe`);
    // status=true: the task counts come with the list, no call per service.
    expect(read?.ServiceStatus?.DesiredTasks).toBe(1);
    await manager.updateService(id, read?.Version.Index ?? 0, spec("two"));
    const after = await manager.inspectService(id);
    expect(after.Spec.TaskTemplate.ContainerSpec.Env).toEqual(["VALUE=two"]);
    const tasks = await manager.listTasks({ service: [id] });
    expect(tasks.length).toBeGreaterThan(0);
    expect(tasks.every((t) => t.ServiceID === id)).toBe(true);
    await manager.removeService(id);
    expect(await manager.listServices({ [LABEL.map]: mapName })).toEqual([]);
  });

  it("reports an update naming a stale version as a conflict, and leaves the newer spec", async () => {
    const id = await manager.createService(spec("first"));
    const stale = (await manager.inspectService(id)).Version.Index;
    await manager.updateService(id, stale, spec("someone-else"));
    const err = await manager.updateService(id, stale, spec("berth")).catch((e: unknown) => e);
    expect(isEngineConflictError(err)).toBe(true);
    expect(String(err)).toMatch(/e4: update service .*-probe: the service was changed by someone else/);
    expect((await manager.inspectService(id)).Spec.TaskTemplate.ContainerSpec.Env).toEqual([
      "VALUE=someone-else",
    ]);
    await manager.removeService(id);
  });

  it("lists the nodes with their labels and state", async () => {
    const nodes = await manager.listNodes();
    expect(nodes.map((n) => `${n.Spec.Labels?.[SWARM.nodeLabel] ?? "?"} ${n.Status.State}`).sort()).toEqual([
      "e4 ready",
      "e5 ready",
    ]);
  });

  it("creates and removes a secret, listed by label without its data", async () => {
    const name = `${mapName}-secret`;
    const id = await manager.createSecret({
      Name: name,
      Labels: { [LABEL.map]: mapName },
      Data: Buffer.from("s3cret").toString("base64"),
    });
    const listed = await manager.listSecrets({ [LABEL.map]: mapName });
    expect(listed.map((s) => s.Spec.Name)).toEqual([name]);
    expect(JSON.stringify(listed)).not.toContain(Buffer.from("s3cret").toString("base64"));
    await manager.removeSecret(id);
  });
});
