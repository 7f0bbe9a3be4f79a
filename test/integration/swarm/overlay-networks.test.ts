import { afterAll, describe, expect, it } from "vitest";
import type { DockerEngine } from "../../../src/engine/docker-engine.js";
import { isEngineNotFoundError } from "../../../src/engine/engine-errors.js";
import { LABEL } from "../../../src/model/labels.js";
import { berth, tempFolder, writeMap } from "../../helpers/cli.js";
import {
  EXTRA_ENGINES,
  extraEngine,
  FIXTURE_IMAGES,
  mapContainers,
  uniqueMapName,
} from "../../helpers/engine.js";
import { planJson, runJson } from "../../helpers/plan-json.js";

/**
 * Issue 18: an overlay network across engines. e4 is a swarm manager, e5 a worker of its swarm
 * (scripts/test-engines-extra.sh); both are plain clients of the map here (no `mode: swarm`):
 * berth runs containers on both, and makes the map's overlay network once, on the manager.
 */
const e4 = extraEngine("e4");
const e5 = extraEngine("e5");
const folder = tempFolder("overlay");
const clientsFile = writeMap(
  folder.dir,
  `e4: {base_url: "${EXTRA_ENGINES.e4}"}\ne5: {base_url: "${EXTRA_ENGINES.e5}"}\n`,
  "clients.yaml",
);
const name = uniqueMapName("overlay");
const network = `${name}_mesh`;

/** `a` on the manager serves a page over HTTP; `b` on the worker joins with an alias. */
const mapText = (labels: string) => `
name: ${name}
clients: [e4, e5]
networks:
  mesh: {driver: overlay${labels}}
containers:
  a:
    image: ${FIXTURE_IMAGES.base1}
    clients: e4
    networks: [[mesh, alpha]]
    command: ["sh", "-c", "mkdir -p /www && echo hello-from-a > /www/index.html && exec httpd -f -p 8080 -h /www"]
    stop_timeout: 1
  b: {image: ${FIXTURE_IMAGES.base1}, clients: e5, networks: [[mesh, bee]]}
`;
const file = writeMap(folder.dir, mapText(""), `${name}.yaml`);
const fileArgs = ["-f", file, "--clients", clientsFile];

afterAll(async () => {
  // Containers of both engines first: the manager removes the overlay once nothing uses it.
  for (const engine of [e5, e4]) {
    for (const c of await engine.listContainers({ [LABEL.map]: name }))
      await engine.removeContainer(c.Id, { force: true }).catch(ignoreMissing);
  }
  for (const n of await e4.listNetworks({ [LABEL.map]: name }))
    await e4.removeNetwork(n.Id).catch(ignoreMissing);
  folder.remove();
});

function ignoreMissing(err: unknown): void {
  if (!isEngineNotFoundError(err)) throw err;
}

/** The map's networks an engine lists: name, driver, scope-independent facts. */
async function overlaysOn(engine: DockerEngine): Promise<{ id: string; attachable: boolean }[]> {
  const listed = await engine.listNetworks({ [LABEL.map]: name });
  return listed.map((n) => ({ id: n.Id, attachable: (n as { Attachable?: boolean }).Attachable === true }));
}

/** Asks again (every 250 ms, up to 20 s) until `done` holds; the last answer either way. */
async function eventually<T>(ask: () => Promise<T>, done: (answer: T) => boolean): Promise<T> {
  let answer = await ask();
  for (let i = 0; i < 80 && !done(answer); i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    answer = await ask();
  }
  return answer;
}

/**
 * Runs a command in a container until it succeeds: a name on another engine is known there once
 * the swarm's gossip has carried it (well under a second here; up to 20 s allowed).
 */
async function succeeds(engine: DockerEngine, container: string, command: string[]): Promise<string> {
  let last = "";
  for (let i = 0; i < 40; i++) {
    const run = await engine.exec(container, command, { timeoutMs: 10_000 });
    if (run.exitCode === 0) return run.output;
    last = `exit ${run.exitCode}: ${run.output}`;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${command.join(" ")} in ${container} never succeeded: ${last}`);
}

/** Each container reaches the other by name and by alias, across the two engines. */
async function expectReachableAcross(): Promise<void> {
  // b (worker) → a (manager): name, alias, then a page over TCP by the alias.
  expect(await succeeds(e5, `${name}.b`, ["nslookup", `${name}.a`])).toMatch(/Address: 10\.240\./);
  await succeeds(e5, `${name}.b`, ["ping", "-c1", "-W2", "alpha"]);
  expect(await succeeds(e5, `${name}.b`, ["wget", "-q", "-O", "-", "http://alpha:8080/"])).toContain(
    "hello-from-a",
  );
  // a (manager) → b (worker).
  expect(await succeeds(e4, `${name}.a`, ["nslookup", "bee"])).toMatch(/Address: 10\.240\./);
  await succeeds(e4, `${name}.a`, ["ping", "-c1", "-W2", `${name}.b`]);
}

describe("an overlay network across a swarm manager and a worker", () => {
  it("is created once, attachable, on the manager; containers on both engines reach each other by name and alias", async () => {
    const up = await runJson(fileArgs, "startup");
    expect(up.code, up.stderr).toBe(0);
    const creates = up.plan.steps.filter((s) => s.type === "create-network");
    expect(creates.map((s) => `${s.object.client} ${s.object.name}`)).toEqual([`e4 ${network}`]);
    const onManager = await overlaysOn(e4);
    expect(onManager).toHaveLength(1);
    expect(onManager[0]?.attachable).toBe(true);
    const inspected = await e4.listNetworks({ [LABEL.map]: name });
    expect(inspected[0]).toMatchObject({ Name: network, Driver: "overlay", Scope: "swarm" });
    expect((await mapContainers(e5, name)).map((c) => `${c.name} ${c.state}`)).toEqual([`${name}.b running`]);
    await expectReachableAcross();

    // Nothing left to do: the worker lists the network (b uses it) and neither creates it nor
    // finds it missing.
    const again = await runJson(fileArgs, "update");
    expect(again.code, again.stderr).toBe(0);
    expect(again.plan.steps).toEqual([]);
    // The engine reports the address it gave each endpoint on the overlay as configured: not drift.
    const full = await planJson(fileArgs, ["--refresh", "full"]);
    expect(full.changes.filter((c) => c.change !== "orphan")).toEqual([]);
    expect(full.steps).toEqual([]);

    const status = await berth([...fileArgs, "status"]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout.split("\n").map((l) => l.replace(/\s+/g, " ").trim())).toEqual([
      "engine e4",
      `container ${name}.a running`,
      `network ${network} present`,
      "engine e5",
      `container ${name}.b running`,
      `network ${network} joined (overlay of e4)`,
      "",
    ]);
  });

  it("a change to it makes it again on the manager; the containers of both engines leave and rejoin it, and still reach each other", async () => {
    const before = await overlaysOn(e4);
    const ids = async () => [
      ...(await mapContainers(e4, name)).map((c) => c.id),
      ...(await mapContainers(e5, name)).map((c) => c.id),
    ];
    const containersBefore = await ids();
    writeMap(folder.dir, mapText(`, create_options: {labels: {tier: "2"}}`), `${name}.yaml`);
    const update = await runJson(fileArgs, "update");
    expect(update.code, update.stderr).toBe(0);
    const changes = update.plan.changes.filter((c) => c.object.kind === "network");
    expect(changes.map((c) => `${c.change} ${c.object.client}`)).toEqual(["recreate e4"]);
    const removal = update.plan.steps.find((s) => s.type === "remove-network");
    const detachOnWorker = update.plan.steps.find(
      (s) => s.type === "disconnect-network" && s.object.client === "e5",
    );
    expect(removal?.object.client).toBe("e4");
    expect(removal?.after).toContain(detachOnWorker?.id);

    const after = await overlaysOn(e4);
    expect(after).toHaveLength(1);
    expect(after[0]?.id).not.toBe(before[0]?.id);
    const labels = (await e4.listNetworks({ [LABEL.map]: name }))[0]?.Labels ?? {};
    expect(labels.tier).toBe("2");
    expect(await ids()).toEqual(containersBefore);
    await expectReachableAcross();

    const again = await runJson(fileArgs, "update");
    expect(again.code, again.stderr).toBe(0);
    expect(again.plan.steps).toEqual([]);
  });

  it("shutdown removes the containers on both engines, then the network on the manager", async () => {
    const down = await runJson(fileArgs, "shutdown");
    expect(down.code, down.stderr).toBe(0);
    const removal = down.plan.steps.find((s) => s.type === "remove-network");
    expect(removal?.object.client).toBe("e4");
    const removals = down.plan.steps.filter((s) => s.type === "remove-container").map((s) => s.id);
    expect(removals).toHaveLength(2);
    expect(removal?.after).toEqual(expect.arrayContaining(removals));
    expect(down.plan.steps.filter((s) => s.type === "remove-network")).toHaveLength(1);
    expect(await mapContainers(e4, name)).toEqual([]);
    expect(await mapContainers(e5, name)).toEqual([]);
    // Gone on the manager when the run ends (berth waits for the manager to finish removing it).
    expect(await overlaysOn(e4)).toEqual([]);
    // The worker drops its own copy when the swarm tells it, a moment later (seen up to ~2 s).
    expect(
      await eventually(
        () => overlaysOn(e5),
        (list) => list.length === 0,
      ),
    ).toEqual([]);
  });

  it("a name that is not a DNS label is refused at validate, where it is written", async () => {
    const bad = writeMap(
      folder.dir,
      `name: ${name}\nclients: [e4, e5]\nnetworks:\n  my_mesh: {driver: overlay}\ncontainers:\n  a: {image: ${FIXTURE_IMAGES.base1}, networks: [my_mesh]}\n`,
      `${name}-bad.yaml`,
    );
    const run = await berth(["-f", bad, "--clients", clientsFile, "validate"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `${bad}:4:12: overlay network \`my_mesh\` would be named \`${name}_my_mesh\`: Swarm names networks by DNS labels`,
    );
  });
});
