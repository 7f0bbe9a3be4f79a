import { existsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { LABEL } from "../../src/model/labels.js";
import { berth, tempFolder, writeMap } from "../helpers/cli.js";
import {
  EXTRA_ENGINES,
  extraEngine,
  FIXTURE_IMAGES,
  mapContainers,
  removeMapObjects,
  uniqueMapName,
  extraEnginePidFile,
  startExtraEngines,
  stopExtraEngine,
} from "../helpers/engine.js";
import { loadClientsFile } from "../../src/map/clients-file.js";
import { loadMap, observeAndPlan, openEngines, readOnly, reconcile } from "../../src/index.js";
import type { Engines } from "../../src/reconcile.js";
import { fakeDockerConfigs } from "../helpers/docker-config.js";
import { runJson } from "../helpers/plan-json.js";

/**
 * Issue 18 (several Docker hosts), on two real engines besides the main one: e2 and e3, each a
 * dockerd in a network namespace of its own (scripts/test-engines-extra.sh). Only this file uses
 * them; its tests run one after the other (one stops e3 for a while).
 */
const e2 = extraEngine("e2");
const e3 = extraEngine("e3");
const folder = tempFolder("hosts");
const clientsFile = writeMap(
  folder.dir,
  Object.entries(EXTRA_ENGINES)
    .map(([client, url]) => `${client}: {base_url: "${url}"}\n`)
    .join(""),
  "clients.yaml",
);
const maps: string[] = [];

function newMap(prefix: string): string {
  const name = uniqueMapName(prefix);
  maps.push(name);
  return name;
}

const fileArgs = (file: string) => ["-f", file, "--clients", clientsFile];

const dockerConfigs = fakeDockerConfigs();

afterAll(async () => {
  dockerConfigs.removeAll();
  for (const name of maps) {
    await removeMapObjects(e2, name);
    await removeMapObjects(e3, name);
  }
  folder.remove();
});

/** Names of the map's containers (not berth's lock or state record) and their state, on one engine. */
async function running(engine: typeof e2, mapName: string): Promise<Record<string, string>> {
  const rows = await mapContainers(engine, mapName);
  return Object.fromEntries(
    rows
      .filter((c) => c.name.startsWith(`${mapName}.`))
      .map((c) => [c.name.slice(mapName.length + 1), c.state]),
  );
}

const millis = (time: string) => Date.parse(time);

const readersOf = (engines: Engines) =>
  Object.fromEntries(Object.entries(engines).map(([client, engine]) => [client, readOnly(engine)]));

describe("a map placed on two engines", () => {
  it("starts up on both, changes only the engine whose part changed, and shuts down on both", async () => {
    const name = newMap("hosts");
    const text = (right: string) => `
name: ${name}
clients: [e2, e3]
containers:
  both: {image: ${FIXTURE_IMAGES.base1}}
  left: {image: ${FIXTURE_IMAGES.base1}, clients: e2, environment: {V: "1"}}
  right: {image: ${FIXTURE_IMAGES.base1}, clients: e3, environment: {V: "${right}"}}
`;
    const file = writeMap(folder.dir, text("1"), `${name}.yaml`);
    const up = await runJson(fileArgs(file), "startup");
    expect(up.code, up.stderr).toBe(0);
    expect(await running(e2, name)).toEqual({ both: "running", left: "running" });
    expect(await running(e3, name)).toEqual({ both: "running", right: "running" });

    const before = Object.fromEntries((await mapContainers(e2, name)).map((c) => [c.name, c.id]));
    writeMap(folder.dir, text("2"), `${name}.yaml`);
    const update = await runJson(fileArgs(file), "update");
    expect(update.code, update.stderr).toBe(0);
    expect(update.plan.steps.length).toBeGreaterThan(0);
    expect(new Set(update.plan.steps.map((s) => s.object.client))).toEqual(new Set(["e3"]));
    expect(update.plan.changes.filter((c) => c.change === "recreate").map((c) => c.object.key)).toEqual([
      "right",
    ]);
    const after = Object.fromEntries((await mapContainers(e2, name)).map((c) => [c.name, c.id]));
    expect(after).toEqual(before);
    expect((await e3.inspectContainer(`${name}.right`)).Config.Env).toContain("V=2");

    const again = await runJson(fileArgs(file), "update");
    expect(again.code, again.stderr).toBe(0);
    expect(again.plan.steps).toEqual([]);

    // `status` groups the map's objects by engine.
    const status = await berth([...fileArgs(file), "status"]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout.split("\n").map((l) => l.replace(/\s+/g, " ").trim())).toEqual([
      "engine e2",
      `container ${name}.both running`,
      `container ${name}.left running`,
      "engine e3",
      `container ${name}.both running`,
      `container ${name}.right running`,
      "",
    ]);

    const down = await runJson(fileArgs(file), "shutdown");
    expect(down.code, down.stderr).toBe(0);
    expect(await running(e2, name)).toEqual({});
    expect(await running(e3, name)).toEqual({});
  });

  it("places each instance on its own engine (placement), and moves one when its placement changes", async () => {
    const name = newMap("hosts-place");
    const text = (b: string) => `
name: ${name}
clients: [e2, e3]
containers:
  web:
    image: ${FIXTURE_IMAGES.base1}
    instances: [a, b, c]
    placement: {a: e2, b: ${b}}
`;
    const file = writeMap(folder.dir, text("e3"), `${name}.yaml`);
    const up = await runJson(fileArgs(file), "startup");
    expect(up.code, up.stderr).toBe(0);
    expect(await running(e2, name)).toEqual({ "web.a": "running", "web.c": "running" });
    expect(await running(e3, name)).toEqual({ "web.b": "running", "web.c": "running" });

    writeMap(folder.dir, text("e2"), `${name}.yaml`);
    const moved = await runJson(fileArgs(file), "update", ["--remove-orphans"]);
    expect(moved.code, moved.stderr).toBe(0);
    expect(await running(e2, name)).toEqual({ "web.a": "running", "web.b": "running", "web.c": "running" });
    expect(await running(e3, name)).toEqual({ "web.c": "running" });
  });

  it("`config` says on which engines each container runs", async () => {
    const name = newMap("hosts-config");
    const file = writeMap(
      folder.dir,
      `
name: ${name}
clients: [e2, e3]
containers:
  both: {image: ${FIXTURE_IMAGES.base1}}
  left: {image: ${FIXTURE_IMAGES.base1}, clients: e2}
  web: {image: ${FIXTURE_IMAGES.base1}, instances: [a, b], placement: {b: e3}}
`,
      `${name}.yaml`,
    );
    const run = await berth([...fileArgs(file), "config"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/key: both[\s\S]*?clients:\n\s+- e2\n\s+- e3\n/);
    expect(run.stdout).toMatch(/key: left[\s\S]*?clients:\n\s+- e2\n\s+environment/);
    expect(run.stdout).toMatch(/key: web\.a[\s\S]*?clients:\n\s+- e2\n\s+- e3\n/);
    expect(run.stdout).toMatch(/key: web\.b[\s\S]*?clients:\n\s+- e3\n\s+environment/);
  });
});

describe("depends_on across engines", () => {
  const text = (name: string, readyAfter: number) => `
name: ${name}
clients: [e2, e3]
containers:
  db:
    image: ${FIXTURE_IMAGES.healthy}
    clients: e2
    environment: {BERTH_READY_AFTER: "${readyAfter}"}
    healthcheck: {test: "test -f /tmp/ready", interval: 300ms, timeout: 2s, retries: 1000}
  web:
    image: ${FIXTURE_IMAGES.base1}
    clients: e3
    depends_on: {db: healthy}
`;

  it("starts the dependent on e3 only after the dependency on e2 reports healthy", async () => {
    const name = newMap("hosts-gate");
    const file = writeMap(folder.dir, text(name, 3), `${name}.yaml`);
    const since = Math.floor(Date.now() / 1000) - 1;
    const run = await runJson(fileArgs(file), "startup");
    expect(run.code, run.stderr).toBe(0);
    const wait = run.plan.steps.find((s) => s.type === "wait-healthy");
    expect(wait?.object).toMatchObject({ client: "e2", key: "db" });
    const start = run.plan.steps.find((s) => s.type === "start-container" && s.object.key === "web");
    expect(start?.object.client).toBe("e3");
    expect(start?.after).toContain(wait?.id);

    const db = await e2.inspectContainer(`${name}.db`);
    const web = await e3.inspectContainer(`${name}.web`);
    expect(db.State.Health?.Status).toBe("healthy");
    expect(web.State.Running).toBe(true);
    // Both engines run on this machine: one clock.
    const events = await e2.events({
      since,
      until: Math.ceil(Date.now() / 1000) + 1,
      labels: { [LABEL.map]: name },
    });
    const healthy = events.find((e) => e.Actor.ID === db.Id && e.Action === "health_status: healthy");
    expect(healthy, "a health_status: healthy event of db on e2").toBeDefined();
    const healthyAt = (healthy?.timeNano ?? (healthy?.time ?? 0) * 1e9) / 1e6;
    expect(healthyAt - millis(db.State.StartedAt)).toBeGreaterThanOrEqual(2500);
    expect(millis(web.State.StartedAt)).toBeGreaterThan(healthyAt);
  });

  it("fails within --wait-timeout when the dependency on the other engine never gets healthy, naming it", async () => {
    const name = newMap("hosts-sick");
    const file = writeMap(folder.dir, text(name, 100_000), `${name}.yaml`);
    const begin = Date.now();
    const run = await berth([...fileArgs(file), "startup", "--progress", "quiet", "--wait-timeout", "3"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`e2: wait healthy container ${name}.db`);
    expect(run.stderr).toContain("not healthy after 3 s");
    expect(Date.now() - begin).toBeLessThan(30_000);
    const web = await e3.inspectContainer(`${name}.web`);
    expect(web.State.StartedAt).toBe("0001-01-01T00:00:00Z");
  });
});

describe("shutdown across engines", () => {
  it("stops the dependent on e3 before its dependency on e2, as on one engine (asserted by the engines' die times)", async () => {
    const name = newMap("hosts-down-order");
    // web ignores SIGTERM (sleep as PID 1): it takes its stop_timeout to stop, db stops at once.
    const file = writeMap(
      folder.dir,
      `
name: ${name}
clients: [e2, e3]
containers:
  db: {image: ${FIXTURE_IMAGES.base1}, clients: e2}
  web: {image: ${FIXTURE_IMAGES.base1}, clients: e3, depends_on: db, command: [sleep, "3600"], stop_timeout: 2}
`,
      `${name}.yaml`,
    );
    const up = await runJson(fileArgs(file), "startup");
    expect(up.code, up.stderr).toBe(0);
    const since = Math.floor(Date.now() / 1000) - 1;
    // The target alone: its dependent on the other engine goes too, first.
    const down = await runJson(fileArgs(file), "shutdown", ["db"]);
    expect(down.code, down.stderr).toBe(0);
    expect(await running(e2, name)).toEqual({});
    expect(await running(e3, name)).toEqual({});
    const until = Math.ceil(Date.now() / 1000) + 1;
    const dieAt = async (engine: typeof e2, container: string) => {
      const events = await engine.events({ since, until, labels: { [LABEL.map]: name } });
      const died = events.find((e) => e.Action === "die" && e.Actor.Attributes?.name === container);
      expect(died, `a die event of ${container}`).toBeDefined();
      return (died?.timeNano ?? (died?.time ?? 0) * 1e9) / 1e6;
    };
    const [db, web] = await Promise.all([dieAt(e2, `${name}.db`), dieAt(e3, `${name}.web`)]);
    // Both engines run on this machine: one clock.
    expect(db).toBeGreaterThan(web);
  });
});

describe("references across engines", () => {
  it("links, uses and network_mode to a container of another engine are refused at validate, naming both engines", async () => {
    const name = newMap("hosts-links");
    const file = writeMap(
      folder.dir,
      `name: ${name}
clients: [e2, e3]
containers:
  db: {image: ${FIXTURE_IMAGES.base1}, clients: e2}
  web:
    image: ${FIXTURE_IMAGES.base1}
    clients: e3
    links: db
`,
      `${name}.yaml`,
    );
    const run = await berth([...fileArgs(file), "validate"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `${file}:8:12: \`web\` links to \`db\` across engines: \`web\` runs on client \`e3\`, \`db\` on \`e2\` only`,
    );
    const startup = await berth([...fileArgs(file), "startup", "--progress", "quiet"]);
    expect(startup.code).toBe(1);
    expect(await running(e2, name)).toEqual({});
    expect(await running(e3, name)).toEqual({});
  });
});

describe("a client named by a Docker context", () => {
  it("runs the map's containers on the context's engine", async () => {
    const name = newMap("hosts-ctx");
    const dockerConfig = dockerConfigs.make({ "berth-e2": { host: EXTRA_ENGINES.e2 } });
    const contextClients = writeMap(folder.dir, "far: {context: berth-e2}\n", `${name}-clients.yaml`);
    const file = writeMap(
      folder.dir,
      `name: ${name}\nclients: far\ncontainers:\n  app: {image: ${FIXTURE_IMAGES.base1}}\n`,
      `${name}.yaml`,
    );
    const args = ["-f", file, "--clients", contextClients];
    // DOCKER_HOST points elsewhere: only the clients file's context names the engine.
    const env = { DOCKER_CONFIG: dockerConfig, DOCKER_HOST: "unix:///nonexistent/docker.sock" };
    const up = await runJson(args, "startup", [], env);
    expect(up.code, up.stderr).toBe(0);
    expect(await running(e2, name)).toEqual({ app: "running" });
    const again = await runJson(args, "update", [], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.plan.steps).toEqual([]);

    const unknown = writeMap(folder.dir, "far: {context: nowhere}\n", `${name}-unknown.yaml`);
    const refused = await berth(["-f", file, "--clients", unknown, "plan"], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${unknown}:1:16: client far: Docker context \`nowhere\``);

    const down = await runJson(args, "shutdown", [], env);
    expect(down.code, down.stderr).toBe(0);
    expect(await running(e2, name)).toEqual({});
  });
});

describe("an overlay network", () => {
  it("is refused when no client is a swarm manager (the test engines are in no swarm), nothing changed", async () => {
    const name = newMap("hosts-overlay");
    const file = writeMap(
      folder.dir,
      `name: ${name}\nclients: [e2, e3]\nnetworks: {mesh: {driver: overlay}}\ncontainers:\n  app: {image: ${FIXTURE_IMAGES.base1}, networks: [mesh]}\n`,
      `${name}.yaml`,
    );
    const run = await berth([...fileArgs(file), "startup"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "network `mesh` has driver overlay, which only a swarm manager creates: none of the clients `e2`, `e3` is a swarm manager",
    );
    expect(await running(e2, name)).toEqual({});
    expect(await running(e3, name)).toEqual({});
    expect((await e2.listNetworks({ [LABEL.map]: name })).length).toBe(0);
  });
});

describe("a no-op update over two engines", () => {
  it("makes four list calls on each engine, as on one (and its look is timed against one engine)", async () => {
    const name = newMap("hosts-calls");
    const containers = Array.from(
      { length: 6 },
      (_, i) => `  c${i}: {image: ${FIXTURE_IMAGES.base1}, clients: ${i % 2 === 0 ? "e2" : "e3"}}`,
    ).join("\n");
    const file = writeMap(
      folder.dir,
      `name: ${name}\nclients: [e2, e3]\ncontainers:\n${containers}\n  both: {image: ${FIXTURE_IMAGES.base1}}\n`,
      `${name}.yaml`,
    );
    const up = await runJson(fileArgs(file), "startup");
    expect(up.code, up.stderr).toBe(0);

    const map = loadMap({ files: [file] });
    const clients = loadClientsFile(clientsFile);
    const lists = { "list containers": 1, "list images": 1, "list networks": 1, "list volumes": 1 };
    const engines = openEngines(map, clients);
    const result = await reconcile(map, engines, { action: "update", clients });
    expect(result.plan.steps).toEqual([]);
    expect(result.result?.ok).toBe(true);
    // The whole run (lock included), as on one engine: four list calls on each engine.
    for (const client of ["e2", "e3"]) expect(engines[client]?.calls.snapshot(), client).toEqual(lists);

    // Timing: the look at two engines against the look at one engine holding as many containers.
    const oneName = newMap("hosts-calls1");
    const oneContainers = Array.from({ length: 8 }, (_, i) => `  c${i}: {image: ${FIXTURE_IMAGES.base1}}`);
    const oneFile = writeMap(
      folder.dir,
      `name: ${oneName}\nclients: e2\ncontainers:\n${oneContainers.join("\n")}\n`,
      `${oneName}.yaml`,
    );
    const oneUp = await runJson(fileArgs(oneFile), "startup");
    expect(oneUp.code, oneUp.stderr).toBe(0);
    const oneMap = loadMap({ files: [oneFile] });
    const bestLook = async (m: typeof map): Promise<number> => {
      let best = Infinity;
      for (let i = 0; i < 7; i++) {
        const started = performance.now();
        const looked = await observeAndPlan(m, readersOf(openEngines(m, clients)), {
          action: "update",
          clients,
        });
        best = Math.min(best, performance.now() - started);
        expect(looked.plan.steps).toEqual([]);
      }
      return best;
    };
    const one = await bestLook(oneMap);
    const two = await bestLook(map);
    console.info(
      `no-op look (best of 7): 8 containers on e2+e3 ${two.toFixed(1)} ms, 8 on e2 alone ${one.toFixed(1)} ms, ratio ${(two / one).toFixed(2)}`,
    );
  });
});

describe("an engine that stops answering", () => {
  const e3Pid = extraEnginePidFile("e3");

  it("is named; the other engine converges; a run after it is back converges", async () => {
    const name = newMap("hosts-down");
    const file = writeMap(
      folder.dir,
      `
name: ${name}
clients: [e2, e3]
containers:
  db:
    image: ${FIXTURE_IMAGES.healthy}
    clients: e3
    environment: {BERTH_READY_AFTER: "1"}
    healthcheck: {test: "test -f /tmp/ready", interval: 300ms, timeout: 2s, retries: 1000}
  web: {image: ${FIXTURE_IMAGES.base1}, clients: e2, depends_on: {db: healthy}}
  solo: {image: ${FIXTURE_IMAGES.base1}, clients: e2}
`,
      `${name}.yaml`,
    );
    expect(existsSync(e3Pid), "e3 runs (scripts/test-engines-extra.sh)").toBe(true);
    await stopExtraEngine("e3");
    try {
      const run = await runJson(fileArgs(file), "startup");
      expect(run.code).toBe(1);
      // The plan's undone work says why the run is incomplete; `--progress quiet` writes it as errors.
      expect(run.plan.undone?.map((u) => u.client)).toEqual(["e3"]);
      const undone = run.plan.undone?.[0]?.message ?? "";
      expect(undone).toContain("engine `e3` did not answer");
      expect(undone).toContain(EXTRA_ENGINES.e3);
      expect(undone).toContain("nor for `web`, which waits for containers on it");
      expect(run.stderr).toContain(`error: ${undone}`);
      expect(run.plan.warnings.join("\n")).not.toContain("did not answer");
      expect(run.result.ok).toBe(false);
      expect(run.plan.unreachable).toHaveProperty("e3");
      expect(new Set(run.plan.steps.map((s) => s.object.client))).toEqual(new Set(["e2"]));
      // What does not wait for e3 converged.
      expect(await running(e2, name)).toEqual({ solo: "running" });
      const status = await berth([...fileArgs(file), "status"]);
      expect(status.code).toBe(1);
      expect(status.stdout).toContain(
        `engine e3 did not answer: e3: list containers: no engine answers at ${EXTRA_ENGINES.e3}`,
      );
      expect(status.stdout).toMatch(new RegExp(`container ${name}\\.db +unreachable`));
    } finally {
      startExtraEngines();
    }
    const back = await runJson(fileArgs(file), "startup");
    expect(back.code, back.stderr).toBe(0);
    expect(await running(e2, name)).toEqual({ solo: "running", web: "running" });
    expect(await running(e3, name)).toEqual({ db: "running" });
    const again = await runJson(fileArgs(file), "update");
    expect(again.code, again.stderr).toBe(0);
    expect(again.plan.steps).toEqual([]);
  });
});
