import { afterAll, describe, expect, it } from "vitest";
import { berth } from "../../helpers/cli.js";
import { FIXTURE_IMAGES } from "../../helpers/engine.js";
import { runJson } from "../../helpers/plan-json.js";
import { IDLE, manager, runningTasks, swarmTestMap } from "../../helpers/swarm.js";

/**
 * `stop`, `start`, `restart` and `kill` on a map's services act as a Swarm user expects: stop
 * scales to 0 (the service and its spec stay), start brings the map's replicas back, restart
 * replaces every task (ForceUpdate), and `update` after a stop converges (the replicas come back).
 */
const swarm = swarmTestMap("swact");
const file = swarm.write(`
db:
  image: ${FIXTURE_IMAGES.base1}
  command: [sh, -c, "${IDLE}"]
app:
  image: ${FIXTURE_IMAGES.base1}
  instances: [a, b]
  command: [sh, -c, "${IDLE}"]
  depends_on: [db]
`);
const args = swarm.args(file);
const [db, app] = [swarm.service("db"), swarm.service("app")];

afterAll(() => swarm.cleanup());

async function spec(service: string) {
  const found = await manager().inspectService(service);
  return {
    replicas: found.Spec.Mode?.Replicated?.Replicas,
    force: found.Spec.TaskTemplate.ForceUpdate ?? 0,
    hash: found.Spec.Labels?.["berth.spec-hash"],
  };
}

describe("Swarm: start, stop, restart, kill", () => {
  it("stop scales to 0 and keeps the services; a second stop plans nothing; start brings them back", async () => {
    const up = await runJson(args, "startup");
    expect(up.code, up.stderr).toBe(0);
    expect(await runningTasks(app)).toHaveLength(2);
    const before = await spec(app);

    const stop = await runJson(args, "stop");
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.plan.steps.map((s) => `${s.type} ${s.object.name}`)).toEqual([
      `scale-service ${app}`,
      `scale-service ${db}`,
    ]);
    expect(stop.plan.warnings).toEqual([]);
    // Done means no task runs any more; the service, its spec and labels stay.
    expect(await runningTasks(app)).toEqual([]);
    expect(await runningTasks(db)).toEqual([]);
    expect(await spec(app)).toEqual({ ...before, replicas: 0 });
    const status = await berth([...args, "status"]);
    const lines = status.stdout.split("\n").map((l) => l.replace(/\s+/g, " ").trim());
    expect(lines).toContain(`service ${app} 0/2 stopped`);

    const again = await runJson(args, "stop");
    expect(again.code, again.stderr).toBe(0);
    expect(again.plan.steps).toEqual([]);

    const start = await runJson(args, "start");
    expect(start.code, start.stderr).toBe(0);
    expect(start.plan.changes.map((c) => `${c.change} ${c.object.name}`)).toEqual([
      `start ${db}`,
      `start ${app}`,
    ]);
    expect(await runningTasks(app)).toHaveLength(2);
    expect(await runningTasks(db)).toHaveLength(1);
    expect(await spec(app)).toEqual(before);
  });

  it("restart replaces every task of the target (ForceUpdate + 1), and only its", async () => {
    const appTasks = (await runningTasks(app)).map((t) => t.containerId);
    const dbTasks = (await runningTasks(db)).map((t) => t.containerId);
    const force = (await spec(app)).force;
    const restart = await runJson(args, "restart", ["app"]);
    expect(restart.code, restart.stderr).toBe(0);
    expect(restart.plan.steps.map((s) => `${s.type} ${s.object.name}`)).toEqual([
      `restart-service ${app}`,
      `wait-service ${app}`,
    ]);
    const now = (await runningTasks(app)).map((t) => t.containerId);
    expect(now).toHaveLength(2);
    expect(now.filter((id) => appTasks.includes(id))).toEqual([]);
    expect((await spec(app)).force).toBe(force + 1);
    expect((await runningTasks(db)).map((t) => t.containerId)).toEqual(dbTasks);
    // A restart is not a change of the map: the next plan is empty.
    const plan = await berth([...args, "plan", "--detailed-exitcode"]);
    expect(plan.code, plan.stdout).toBe(0);
  });

  it("update after stop brings the replicas back (no rolling update), then plans nothing", async () => {
    const stop = await runJson(args, "stop", ["app"]);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.plan.steps.map((s) => `${s.type} ${s.object.name}`)).toEqual([`scale-service ${app}`]);
    expect(await runningTasks(app)).toEqual([]);

    const dry = await berth([...args, "plan", "--detailed-exitcode"]);
    expect(dry.code, dry.stdout).toBe(2);
    const update = await runJson(args, "update");
    expect(update.code, update.stderr).toBe(0);
    expect(update.plan.steps.map((s) => s.type)).toEqual(["scale-service", "wait-service"]);
    expect(update.plan.changes[0]?.reasons[0]?.message).toBe(
      "stopped (0 replicas, by `berth stop` or by hand): scaled back to the map's 2",
    );
    expect(await runningTasks(app)).toHaveLength(2);
    const after = await berth([...args, "plan", "--detailed-exitcode"]);
    expect(after.code, after.stdout).toBe(0);
  });

  it("kill scales the target to 0, saying the signal is Swarm's stop signal", async () => {
    const kill = await runJson(args, "kill", ["db"]);
    expect(kill.code, kill.stderr).toBe(0);
    expect(kill.plan.changes.map((c) => `${c.change} ${c.object.name}`)).toEqual([`kill ${db}`]);
    expect(kill.plan.changes[0]?.reasons[1]?.message).toMatch(/SIGKILL is not sent/);
    expect(await runningTasks(db)).toEqual([]);
    expect(await runningTasks(app)).toHaveLength(2);
  });

  it("an update after a restart keeps the ForceUpdate counter (a lower one would replace every task again)", async () => {
    const force = (await spec(app)).force;
    expect(force).toBeGreaterThan(0);
    const changed = swarm.write(
      `
db:
  image: ${FIXTURE_IMAGES.base1}
  command: [sh, -c, "${IDLE}"]
app:
  image: ${FIXTURE_IMAGES.base1}
  instances: [a, b]
  command: [sh, -c, "${IDLE}"]
  environment: {V: "2"}
  depends_on: [db]
`,
      "changed.yaml",
    );
    const update = await runJson(swarm.args(changed), "update");
    expect(update.code, update.stderr).toBe(0);
    expect(update.plan.steps.map((s) => `${s.type} ${s.object.name}`)).toContain(`update-service ${app}`);
    expect((await spec(app)).force).toBe(force);
  });
});
