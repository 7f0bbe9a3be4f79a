import { afterAll, describe, expect, it } from "vitest";
import { readOnly, type EngineWriter } from "../../src/engine/engine.js";
import {
  isEngineConflictError,
  isEngineNotFoundError,
  isEngineUnreachableError,
  isImagePullError,
} from "../../src/engine/engine-errors.js";
import { DockerEngine } from "../../src/engine/docker-engine.js";
import { LABEL } from "../../src/model/labels.js";
import { FIXTURE_IMAGES, removeMapObjects, testEngine, uniqueMapName } from "../helpers/engine.js";

const engine = testEngine();
const mapName = uniqueMapName("engine");
const labels = { [LABEL.map]: mapName, [LABEL.config]: "probe" };

afterAll(async () => {
  await removeMapObjects(engine, mapName);
});

describe("engine layer against the real engine", () => {
  it("creates, starts, inspects, stops and removes a labelled container", async () => {
    const name = `${mapName}.probe`;
    const id = await engine.createContainer(name, {
      Image: FIXTURE_IMAGES.base1,
      Env: ["GREETING=hello"],
      Labels: labels,
    });
    await engine.startContainer(id);
    // Starting a running container is not an error (the engine answers 304).
    await engine.startContainer(id);

    const details = await engine.inspectContainer(name);
    expect(details.Id).toBe(id);
    expect(details.State.Running).toBe(true);
    expect(details.Config.Env).toContain("GREETING=hello");
    expect(details.Config.Labels?.[LABEL.map]).toBe(mapName);

    const listed = await engine.listContainers({ [LABEL.map]: mapName });
    expect(listed.map((c) => c.Id)).toEqual([id]);

    const result = await engine.exec(id, ["sh", "-c", "echo $GREETING; cat /VERSION"]);
    expect(result).toEqual({ exitCode: 0, output: "hello\n1\n" });

    await engine.stopContainer(id, 5);
    await engine.stopContainer(id, 5); // 304: already stopped
    expect((await engine.inspectContainer(id)).State.Running).toBe(false);

    await engine.removeContainer(id);
    expect(await engine.listContainers({ [LABEL.map]: mapName })).toEqual([]);
  });

  it("keeps environment values out of the request URL", async () => {
    // The engine records the create call's query in no object we can read, but the name is the
    // only query parameter we send: a container created with a secret has exactly that name.
    const name = `${mapName}.secret`;
    const id = await engine.createContainer(name, {
      Image: FIXTURE_IMAGES.base1,
      Env: ["DB_PASSWORD=s3cr3t"],
      Labels: labels,
    });
    expect((await engine.inspectContainer(id)).Name).toBe(`/${name}`);
    await engine.removeContainer(id);
  });

  it("reports a missing object, a name conflict and a failed pull as typed errors", async () => {
    const missing = await engine.inspectContainer(`${mapName}.nope`).catch((e: unknown) => e);
    expect(isEngineNotFoundError(missing)).toBe(true);
    expect(String(missing)).toContain(`${mapName}.nope`);
    expect(String(missing)).toContain("inspect container");

    const name = `${mapName}.twice`;
    await engine.createContainer(name, { Image: FIXTURE_IMAGES.base1, Labels: labels });
    const conflict = await engine
      .createContainer(name, { Image: FIXTURE_IMAGES.base1, Labels: labels })
      .catch((e: unknown) => e);
    expect(isEngineConflictError(conflict)).toBe(true);

    // No registry is reachable from the test machine: the pull fails and must be reported.
    const pull = await engine.pullImage("127.0.0.1:1/berth-none:1").catch((e: unknown) => e);
    expect(isImagePullError(pull)).toBe(true);
    expect(String(pull)).toMatch(
      /^ImagePullError: default: pull image 127\.0\.0\.1:1\/berth-none:1: .*refused/,
    );
  });

  it("names the engine and its address when none answers", async () => {
    const nowhere = new DockerEngine({ name: "nowhere", baseUrl: "unix:///tmp/berth-no-such.sock" });
    const err = await nowhere.listContainers({}).catch((e: unknown) => e);
    expect(isEngineUnreachableError(err)).toBe(true);
    expect(String(err)).toContain(
      "nowhere: list containers: no engine answers at unix:///tmp/berth-no-such.sock",
    );
  });

  it("tells a TCP engine's address the same way", async () => {
    const closed = new DockerEngine({ name: "closed", baseUrl: "tcp://127.0.0.1:1" });
    const err = await closed.ping().catch((e: unknown) => e);
    expect(isEngineUnreachableError(err)).toBe(true);
    expect(String(err)).toContain("no engine answers at tcp://127.0.0.1:1");
  });

  it("counts every call per operation", async () => {
    const counted = testEngine();
    await counted.listContainers({ [LABEL.map]: mapName });
    await counted.listContainers({ [LABEL.map]: mapName });
    await counted.listImages();
    expect(counted.calls.snapshot()).toEqual({ "list containers": 2, "list images": 1 });
    expect(counted.calls.total).toBe(3);
  });

  it("gives read-only code an object without mutating methods", () => {
    const reader = readOnly(engine);
    expect((reader as unknown as Partial<EngineWriter>).createContainer).toBeUndefined();
    expect((reader as unknown as Partial<EngineWriter>).removeContainer).toBeUndefined();
    expect(typeof reader.listContainers).toBe("function");
    expect(reader.name).toBe("default");
  });

  it("creates and removes labelled volumes and networks, with no duplicate network", async () => {
    const volume = `${mapName}.data`;
    await engine.createVolume({ Name: volume, Labels: { [LABEL.map]: mapName } });
    expect((await engine.listVolumes({ [LABEL.map]: mapName })).map((v) => v.Name)).toEqual([volume]);

    const network = `${mapName}.net`;
    await engine.createNetwork({ Name: network, Labels: { [LABEL.map]: mapName } });
    const again = await engine
      .createNetwork({ Name: network, Labels: { [LABEL.map]: mapName } })
      .catch((e: unknown) => e);
    expect(isEngineConflictError(again)).toBe(true);
    expect((await engine.listNetworks({ [LABEL.map]: mapName })).map((n) => n.Name)).toEqual([network]);

    await engine.removeNetwork(network);
    await engine.removeVolume(volume);
    expect(await engine.listVolumes({ [LABEL.map]: mapName })).toEqual([]);
  });
});
