import { afterAll, describe, expect, it } from "vitest";
import { LABEL } from "../../../src/model/labels.js";
import { berth, tempFolder, writeMap } from "../../helpers/cli.js";
import { FIXTURE_IMAGES, uniqueMapName } from "../../helpers/engine.js";
import { runJson } from "../../helpers/plan-json.js";
import { removeSwarmMapObjects } from "../../helpers/swarm-cleanup.js";
import { manager, writeSwarmClients } from "../../helpers/swarm.js";

/**
 * Ordering Swarm does not have, given by berth: a service is created only once the services it
 * depends on are ready — healthy for a health-checked one, completed for a one-shot job.
 */
const folder = tempFolder("swarm-order");
const clientsFile = writeSwarmClients(folder.dir);
const name = uniqueMapName("sworder");
const fileArgs = (file: string) => ["-f", file, "--clients", clientsFile];
const idle = "trap 'exit 0' TERM; while true; do sleep 1; done";
const file = writeMap(
  folder.dir,
  `
name: ${name}
clients: [sw, e4, e5]
db:
  image: ${FIXTURE_IMAGES.healthy}
  environment: {BERTH_READY_AFTER: "3"}
  healthcheck: {test: [CMD, test, -f, /tmp/ready], interval: 1s, timeout: 1s, retries: 10}
migrate:
  image: ${FIXTURE_IMAGES.oneshot}
  command: [sh, -c, "echo migrated the schema"]
  depends_on: {db: healthy}
app:
  image: ${FIXTURE_IMAGES.base1}
  instances: [a, b]
  command: [sh, -c, "${idle}"]
  depends_on: {db: healthy, migrate: completed}
`,
  `${name}.yaml`,
);
const [db, migrate, app] = ["db", "migrate", "app"].map((c) => `${name}-${c}`) as [string, string, string];

afterAll(async () => {
  await removeSwarmMapObjects(name);
  folder.remove();
});

/** When a service's task reached a state (the latest such task), from the swarm's own clock. */
async function reached(service: string, state: string): Promise<number> {
  const tasks = await manager().listTasks({ service: [service] });
  const times = tasks
    .filter((t) => t.Status.State === state)
    .map((t) => Date.parse(t.Status.Timestamp ?? ""));
  expect(times.length, `${service} has a ${state} task`).toBeGreaterThan(0);
  return Math.max(...times);
}

async function createdAt(service: string): Promise<number> {
  return Date.parse((await manager().inspectService(service)).CreatedAt);
}

describe("depends_on on a swarm", () => {
  it("creates the migration job once db is healthy, and app once the job completed", async () => {
    const up = await runJson(fileArgs(file), "startup");
    expect(up.code, up.stderr).toBe(0);
    const kinds = Object.fromEntries(
      up.plan.steps
        .filter((s) => s.type === "create-service")
        .map((s) => [s.object.name, (s as { kind: string }).kind]),
    );
    expect(kinds).toEqual({ [db]: "service", [migrate]: "job", [app]: "service" });
    const waits = Object.fromEntries(
      up.plan.steps
        .filter((s) => s.type === "wait-service")
        .map((s) => [s.object.name, (s as { condition: string }).condition]),
    );
    expect(waits).toEqual({ [db]: "healthy", [migrate]: "completed", [app]: "running" });

    // Swarm holds a health-checked task in `starting` until it is healthy, then says `running`.
    expect(await createdAt(migrate)).toBeGreaterThanOrEqual(await reached(db, "running"));
    expect(await createdAt(app)).toBeGreaterThanOrEqual(await reached(migrate, "complete"));
    const services = await manager().listServices({ [LABEL.map]: name });
    expect(services.find((s) => s.Spec.Name === app)?.ServiceStatus?.RunningTasks).toBe(2);

    const logs = await berth([...fileArgs(file), "logs", "migrate"]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain("migrated the schema");
  });

  it("plans nothing once the job completed and the services run", async () => {
    const again = await runJson(fileArgs(file), "update");
    expect(again.code, again.stderr).toBe(0);
    expect(again.plan.steps).toEqual([]);
    const status = await berth([...fileArgs(file), "status"]);
    const lines = status.stdout.split("\n").map((l) => l.replace(/\s+/g, " ").trim());
    expect(lines).toContain(`service ${migrate} 1/1 completed`);
    expect(lines).toContain(`service ${db} 1/1 running`);
  });
});
