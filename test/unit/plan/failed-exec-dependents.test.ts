import { describe, expect, it } from "vitest";
import type { LoadedMap } from "../../../src/load-map.js";
import { changeOf, deployed, mapOf, planWorld, stepFor, stepSummary } from "../../helpers/plan-fixtures.js";
import { applyPlan, engineOf, worldFor, type SimulatedWorld } from "../../helpers/simulated-engine.js";

/**
 * A container replaced while its exec commands fail still runs: the dependents whose link or
 * namespace it made stale must be made again all the same. Skipped (as after any failed step),
 * they were left bound to the container that is gone: a restart of one then fails with "Cannot
 * link to a non running container" (found by the convergence property, seed -840506850).
 */

const mapWith = (exec: string, env: string) =>
  mapOf(`
svc:
  image: app:1
  environment: {SERIAL: "${env}"}
  exec_commands: [[${exec}, null, initial]]
linker:
  image: app:1
  links: {svc: backend}
side:
  image: app:1
  network_mode: svc
`);

const WORKS = "touch /ok";
const FAILS = "sh -c 'exit 3'";

/** Plans an update and applies it, failures allowed. */
async function update(map: LoadedMap, world: SimulatedWorld) {
  const made = await planWorld(map, world);
  const applied = await applyPlan(world, made, map, { allowFailures: true });
  return { made, world: applied.world, failed: Object.keys(applied.failed) };
}

describe("dependents of a container whose exec commands fail (simulated engine)", () => {
  it("a replaced container's failing exec does not leave its link and network_mode dependents stale", async () => {
    const world = await deployed(mapWith(WORKS, "1"));
    const edited = mapWith(FAILS, "2");
    const run = await update(edited, world);

    expect(run.failed).toEqual(["exec:default/app.svc"]);
    expect(engineOf(run.world).staleReferences()).toEqual([]);
    for (const dependent of ["app.linker", "app.side"]) {
      expect(engineOf(run.world).named(dependent).id).not.toBe(engineOf(world).named(dependent).id);
      expect(engineOf(run.world).named(dependent).state).toBe("running");
    }
    // The dependents wait for the exec to end, but its failure does not hold them back.
    const create = stepFor(run.made, "create-container", "linker");
    expect(create.after).toContain("exec:default/app.svc");
    expect(create.tolerates).toContain("exec:default/app.svc");
    // ... as long as svc was in fact made again (a failed build of its image: linker stays).
    expect(create.needsOneOf).toEqual(["start-container:default/app.svc"]);

    // What is left is the failed command, run again; no dependent is made again.
    const next = await planWorld(edited, run.world);
    expect(stepSummary(next)).toEqual(["exec svc", "record-state berth-state.app"]);
    expect(changeOf(next, "svc", "exec").reasons[0]?.message).toMatch(/failed last time \(exit 3\)/);
  });

  it("a dependent left stale by an interrupted run is made again while the command still fails", async () => {
    const world = await deployed(mapWith(WORKS, "1"));
    const edited = mapWith(FAILS, "2");
    // Interrupted once svc is replaced and started: its dependents still hold the old one.
    const replacing = await planWorld(edited, world);
    const started = replacing.steps.findIndex((s) => s.id === "start-container:default/app.svc");
    const cut = await applyPlan(world, replacing, edited, { stopAfter: started + 1, allowFailures: true });
    expect(engineOf(cut.world).staleReferences()).toHaveLength(2);

    const run = await update(edited, cut.world);
    expect(run.failed).toEqual(["exec:default/app.svc"]);
    expect(changeOf(run.made, "linker", "recreate").reasons[0]?.message).toMatch(/reference is stale/);
    expect(engineOf(run.world).staleReferences()).toEqual([]);
  });

  it("a dependent made for the first time still waits for the dependency's exec to succeed", async () => {
    const map = mapWith(FAILS, "1");
    const run = await update(map, worldFor(map));
    expect(run.failed).toEqual(["exec:default/app.svc"]);
    expect(stepFor(run.made, "create-container", "linker").tolerates).toBeUndefined();
    expect(engineOf(run.world).containers.map((c) => c.name)).not.toContain("app.linker");
    expect(engineOf(run.world).containers.map((c) => c.name)).not.toContain("app.side");
  });

  it("a dependent changed for its own reasons (no stale reference) still waits for the exec to succeed", async () => {
    const linkerEnv = (env: string, exec: string) =>
      mapOf(`
svc:
  image: app:1
  exec_commands: [[${exec}, null, initial]]
linker:
  image: app:1
  environment: {OWN: "${env}"}
  links: {svc: backend}
`);
    // svc's command fails at the first run and is run again at the next (svc is not replaced).
    const first = await update(
      linkerEnv("1", FAILS),
      (await update(linkerEnv("1", WORKS), worldFor(linkerEnv("1", WORKS)))).world,
    );
    const oldLinker = engineOf(first.world).named("app.linker").id;
    const run = await update(linkerEnv("2", FAILS), first.world);
    expect(run.failed).toEqual(["exec:default/app.svc"]);
    expect(stepFor(run.made, "create-container", "linker").tolerates).toBeUndefined();
    // Its old container, bound to the svc that still runs, is left as it is.
    expect(engineOf(run.world).named("app.linker").id).toBe(oldLinker);
    expect(engineOf(run.world).named("app.linker").state).toBe("running");
    expect(engineOf(run.world).staleReferences()).toEqual([]);
  });

  it("`berth restart` of a container whose restart command fails starts its sharers again all the same", async () => {
    const restartMap = (exec: string) =>
      mapOf(`
svc:
  image: app:1
  exec_commands: [[${exec}, null, restart]]
side:
  image: app:1
  network_mode: svc
`);
    const world = await deployed(restartMap(WORKS));
    const failing = restartMap(FAILS);
    for (const targets of [["svc"], ["svc", "side"]]) {
      const made = await planWorld(failing, world, { action: "restart", targets });
      const applied = await applyPlan(world, made, failing, { allowFailures: true });
      expect(Object.keys(applied.failed)).toEqual(["exec:default/app.svc"]);
      // berth stopped side to restart it: it must not be left stopped.
      expect(engineOf(applied.world).named("app.side").state).toBe("running");
      expect(engineOf(applied.world).named("app.svc").state).toBe("running");
    }
  });

  it("a depends_on dependent recreated with its dependency keeps its old container running when the dependency fails", async () => {
    const both = (exec: string, env: string) =>
      mapOf(`
db:
  image: app:1
  environment: {SERIAL: "${env}"}
  exec_commands: [[${exec}, null, initial]]
web:
  image: app:1
  environment: {SERIAL: "${env}"}
  depends_on: {db: {condition: started}}
`);
    const world = await deployed(both(WORKS, "1"));
    const oldWeb = engineOf(world).named("app.web").id;
    const run = await update(both(FAILS, "2"), world);
    expect(run.failed).toEqual(["exec:default/app.db"]);
    // The new web waits (created under a temporary name) for the next run; the old one serves.
    const web = engineOf(run.world).named("app.web");
    expect(web.id).toBe(oldWeb);
    expect(web.state).toBe("running");
  });
});
