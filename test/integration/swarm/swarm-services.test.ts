import { afterAll, describe, expect, it } from "vitest";
import { apply } from "../../../src/apply/executor.js";
import { loadMap, observeAndPlan, openEngines, reconcile } from "../../../src/index.js";
import { loadClientsFile } from "../../../src/map/clients-file.js";
import { LABEL } from "../../../src/model/labels.js";
import { readersOf } from "../../../src/reconcile.js";
import { berth, tempFolder, writeMap } from "../../helpers/cli.js";
import { extraEngine, FIXTURE_IMAGES, uniqueMapName } from "../../helpers/engine.js";
import { changeLines, planJson, runJson, stepLines } from "../../helpers/plan-json.js";
import { removeSwarmMapObjects } from "../../helpers/swarm-cleanup.js";
import { manager, runningTasks, writeSwarmClients } from "../../helpers/swarm.js";

/**
 * Issue 19 on the test swarm (manager e4, worker e5): a map's configs placed on the swarm client
 * `sw` run as services — created in dependency order on an overlay, updated with the version
 * index and rolled to every task, removed by shutdown — and an unchanged map plans nothing in a
 * constant number of calls.
 */
const folder = tempFolder("swarm");
const clientsFile = writeSwarmClients(folder.dir);
const clients = loadClientsFile(clientsFile);
const name = uniqueMapName("swarm");
const fileArgs = (file: string) => ["-f", file, "--clients", clientsFile];

/** A loop that ends at once on SIGTERM, so a rolling update does not wait out the stop grace. */
const idle = "trap 'exit 0' TERM; while true; do sleep 1; done";
const mapText = (value: string) => `
name: ${name}
clients: [sw, e4, e5]
db:
  image: ${FIXTURE_IMAGES.base1}
  clients: e4
  command: [sh, -c, "echo db-answers > /index.html; httpd -p 8080 -h /; ${idle}"]
app:
  image: ${FIXTURE_IMAGES.base1}
  instances: [a, b, c]
  command: [sh, -c, "${idle}"]
  environment: {V: "${value}"}
  depends_on: {db: started}
`;
const file = writeMap(folder.dir, mapText("1"), `${name}.yaml`);
const db = `${name}-db`;
const app = `${name}-app`;

afterAll(async () => {
  await removeSwarmMapObjects(name);
  folder.remove();
});

async function envOfTasks(service: string): Promise<string[]> {
  const tasks = await runningTasks(service);
  const values = await Promise.all(
    tasks.map(async (t) => {
      const env = (await extraEngine(t.node).inspectContainer(t.containerId)).Config.Env ?? [];
      return env.find((e) => e.startsWith("V=")) ?? "V unset";
    }),
  );
  return values.sort();
}

describe("a map on a swarm manager", () => {
  it("starts db, then app's 3 replicas over both nodes, on the map's overlay; names resolve across nodes", async () => {
    const up = await runJson(fileArgs(file), "startup");
    expect(up.code, up.stderr).toBe(0);
    expect(stepLines(up.plan.steps)).toEqual([
      `create-service ${app}`,
      `create-service ${db}`,
      `create-swarm-network ${name}_default`,
      `wait-service ${app}`,
      `wait-service ${db}`,
    ]);
    // depends_on: app is created only once db runs.
    const createApp = up.plan.steps.find((s) => s.type === "create-service" && s.object.name === app);
    expect(createApp?.after).toEqual([`create-swarm-network:sw/${name}_default`, `wait-service:sw/${db}`]);
    expect(up.plan.warnings.join("\n")).toMatch(/no IPVS .*endpoint mode dnsrr/);

    const services = await manager().listServices({ [LABEL.map]: name });
    expect(
      services
        .map((s) => `${s.Spec.Name} ${s.ServiceStatus?.RunningTasks}/${s.ServiceStatus?.DesiredTasks}`)
        .sort(),
    ).toEqual([`${app} 3/3`, `${db} 1/1`]);
    const appTasks = await runningTasks(app);
    expect(new Set(appTasks.map((t) => t.node))).toEqual(new Set(["e4", "e5"]));
    const dbTasks = await runningTasks(db);
    expect(dbTasks.map((t) => t.node)).toEqual(["e4"]);

    // A task on the worker reaches the database on the manager's node by its service name.
    const onWorker = appTasks.find((t) => t.node === "e5");
    const fetched = await extraEngine("e5").exec(onWorker?.containerId as string, [
      "wget",
      "-q",
      "-O",
      "-",
      `http://${db}:8080/index.html`,
    ]);
    expect(fetched.output.trim()).toBe("db-answers");
    expect(fetched.exitCode).toBe(0);
  });

  it("plans nothing for the unchanged map, in seven calls to the manager", async () => {
    const map = loadMap({ files: [file] });
    const engines = openEngines(map, clients);
    expect(Object.keys(engines)).toEqual(["sw"]);
    const looked = await observeAndPlan(map, readersOf(engines), { action: "update", clients });
    expect(looked.plan.steps).toEqual([]);
    expect(looked.plan.changes).toEqual([]);
    expect(engines.sw?.calls.snapshot()).toEqual({
      "list containers": 1,
      "list images": 1,
      "list networks": 1,
      "list nodes": 1,
      "list services": 1,
      "list tasks": 1,
      "list volumes": 1,
    });
  });

  it("rolls an environment change to every task with the version index; the next plan is empty", async () => {
    writeMap(folder.dir, mapText("2"), `${name}.yaml`);
    const plan = await planJson(fileArgs(file));
    expect(changeLines(plan)).toEqual([`update ${app}`]);
    const change = plan.changes.find((c) => c.object.name === app);
    expect(change?.reasons.map((r) => `${r.field}: ${r.message}`)).toEqual([
      'Env.V: Env.V changed from "1" to "2"',
    ]);
    const update = await runJson(fileArgs(file), "update");
    expect(update.code, update.stderr).toBe(0);
    expect(stepLines(update.plan.steps)).toEqual([`update-service ${app}`, `wait-service ${app}`]);
    expect(await envOfTasks(app)).toEqual(["V=2", "V=2", "V=2"]);
    const again = await runJson(fileArgs(file), "update");
    expect(again.code, again.stderr).toBe(0);
    expect(again.plan.steps).toEqual([]);
  });

  it("reports a service changed since the plan was made, and leaves that change in place", async () => {
    writeMap(folder.dir, mapText("3"), `${name}.yaml`);
    const map = loadMap({ files: [file] });
    const engines = openEngines(map, clients);
    const planned = await observeAndPlan(map, readersOf(engines), { action: "update", clients });
    expect(stepLines(planned.plan.steps)).toEqual([`update-service ${app}`, `wait-service ${app}`]);
    // Someone else changes the service between berth's look and its update.
    const current = await manager().inspectService(app);
    const theirs = { ...current.Spec, Labels: { ...current.Spec.Labels, "someone.else": "was-here" } };
    await manager().updateService(current.ID, current.Version.Index, theirs);

    const result = await apply(planned.plan, {
      engines,
      map,
      observed: planned.observed,
      swarm: planned.swarm,
      waitTimeoutMs: 30_000,
    });
    expect(result.ok).toBe(false);
    const failed = result.results.find((r) => r.status === "failed");
    expect(failed?.message).toMatch(
      new RegExp(
        `sw: update service ${app}: the service was changed by someone else .*update out of sequence`,
      ),
    );
    const after = await manager().inspectService(app);
    expect(after.Spec.Labels?.["someone.else"]).toBe("was-here");
    expect(await envOfTasks(app)).toEqual(["V=2", "V=2", "V=2"]);
    // A fresh run plans from what the service is now, and applies.
    const rerun = await reconcile(map, openEngines(map, clients), { action: "update", clients });
    expect(rerun.result?.ok).toBe(true);
    expect(await envOfTasks(app)).toEqual(["V=3", "V=3", "V=3"]);
  });

  it("shows services, replicas and tasks per node in status", async () => {
    const status = await berth([...fileArgs(file), "status"]);
    expect(status.code, status.stderr).toBe(0);
    const lines = status.stdout.split("\n").map((l) => l.replace(/\s+/g, " ").trim());
    expect(lines).toContain(`service ${app} 3/3 running`);
    expect(lines).toContain(`service ${db} 1/1 running`);
    expect(lines).toContain("· task 1 on e4: running (started)");
    expect(lines.filter((l) => l.startsWith("node "))).toEqual(["node e4 ready", "node e5 ready"]);
    const json = await berth([...fileArgs(file), "status", "--json"]);
    const rows = JSON.parse(json.stdout) as {
      kind: string;
      name: string;
      replicas?: object;
      tasks?: { node: string }[];
    }[];
    const appRow = rows.find((r) => r.kind === "service" && r.name === app);
    expect(appRow?.replicas).toEqual({ running: 3, desired: 3 });
    expect(new Set(appRow?.tasks?.map((t) => t.node))).toEqual(new Set(["e4", "e5"]));
  });

  it("shuts down: removes the services and the map's overlay network", async () => {
    const down = await runJson(fileArgs(file), "shutdown");
    expect(down.code, down.stderr).toBe(0);
    expect(stepLines(down.plan.steps)).toEqual([
      `remove-network ${name}_default`,
      `remove-service ${app}`,
      `remove-service ${db}`,
    ]);
    expect(await manager().listServices({ [LABEL.map]: name })).toEqual([]);
    // The swarm forgets the overlay at once; the nodes' copies go with the last task containers.
    const left = await manager().listNetworks({ [LABEL.map]: name });
    expect(left.every((n) => n.Driver === "overlay")).toBe(true);
  });
});
