import { describe, expect, it } from "vitest";
import type { ClientConfig } from "../../../src/map/clients-file.js";
import { LABEL } from "../../../src/model/labels.js";
import type { ObservedClient, ObservedService, ObservedTask } from "../../../src/observe/observed-state.js";
import { PlanBuilder } from "../../../src/plan/plan-builder.js";
import { isPlanError } from "../../../src/plan/plan-context.js";
import { planOptions } from "../../../src/plan/plan.js";
import type { PlanAction } from "../../../src/plan/plan-types.js";
import { planSwarm, swarmNodesDown, type SwarmDesired } from "../../../src/plan/swarm-planner.js";
import { desiredServices, swarmNetworks } from "../../../src/swarm/swarm.js";
import { mapOf } from "../../helpers/plan-fixtures.js";

/** The swarm planner on plain data: desired services from a map, an observed manager made by hand. */
const CLIENTS: Record<string, ClientConfig> = {
  sw: { interfaces: {}, interfaces_ipv6: {}, mode: "swarm", node_label: "node" },
  e4: { interfaces: {}, interfaces_ipv6: {}, swarm: "sw" },
  e5: { interfaces: {}, interfaces_ipv6: {}, swarm: "sw" },
};

const map = (value = "1") =>
  mapOf(
    `
clients: [sw]
db:
  image: "berth-test/healthy:1"
  healthcheck: {test: [CMD, "true"], interval: 1s}
migrate:
  image: "berth-test/oneshot:1"
  depends_on: {db: healthy}
app:
  image: "berth-test/base:1"
  instances: [a, b, c]
  environment: {V: "${value}"}
  depends_on: {db: healthy, migrate: completed}
`,
    "shop",
  );

function desired(value = "1", salts: Record<string, string> = {}): SwarmDesired {
  const resolved = map(value).resolved;
  return {
    manager: "sw",
    services: desiredServices(resolved, CLIENTS, { ipvs: false, salts }),
    networks: swarmNetworks(resolved, CLIENTS),
    ipvs: false,
  };
}

function observedClient(services: ObservedService[] = [], tasks: ObservedTask[] = []): ObservedClient {
  return {
    client: "sw",
    containers: [],
    volumes: [],
    networks: [],
    images: {},
    swarm: { services, tasks, nodes: [] },
  };
}

/** What the manager would list after berth made the desired services (their labels as sent). */
function running(
  want: SwarmDesired,
  mapName = "shop",
): { services: ObservedService[]; tasks: ObservedTask[] } {
  const services = want.services.map((s, i): ObservedService => {
    const replicas = "Replicated" in s.spec.Mode ? s.spec.Mode.Replicated.Replicas : 1;
    return {
      id: `id-${s.name}`,
      name: s.name,
      version: 10 + i,
      labels: { ...s.spec.Labels, [LABEL.map]: mapName },
      mapName,
      kind: s.kind,
      specHash: s.specHash,
      replicas,
      runningTasks: replicas,
      desiredTasks: replicas,
      updateState: undefined,
      updateMessage: undefined,
      jobIteration: s.kind === "job" ? 0 : undefined,
    };
  });
  const tasks = want.services.flatMap((s) => {
    const replicas = "Replicated" in s.spec.Mode ? s.spec.Mode.Replicated.Replicas : 1;
    return Array.from({ length: replicas }, (_, slot): ObservedTask => ({
      id: `task-${s.name}-${slot}`,
      serviceId: `id-${s.name}`,
      nodeId: "n1",
      slot: slot + 1,
      state: s.kind === "job" ? "complete" : "running",
      desiredState: s.kind === "job" ? "complete" : "running",
      message: "",
      error: undefined,
      containerId: `c${slot}`,
      exitCode: 0,
      jobIteration: s.kind === "job" ? 0 : undefined,
      since: 0,
    }));
  });
  return { services, tasks };
}

/** The map's overlay as the manager would list it, with `labels` (the ones berth sent, by default). */
function addOverlay(observed: ObservedClient, labels: Record<string, string>): void {
  observed.networks.push({
    id: "net",
    name: "shop_default",
    driver: "overlay",
    options: {},
    internal: false,
    labels,
    mapName: "shop",
  });
}

function planOf(
  want: SwarmDesired,
  observed: ObservedClient,
  action: PlanAction = "update",
  removeVolumes = false,
  targets?: readonly string[],
) {
  const builder = new PlanBuilder();
  const selected = new Set(targets ?? map().resolved.containers.map((c) => c.key));
  planSwarm({
    mapName: "shop",
    desired: want,
    observed,
    options: planOptions({ action, removeVolumes }),
    builder,
    selected,
  });
  return builder;
}

const saltsOf = (want: SwarmDesired) =>
  Object.fromEntries(
    want.services.map((s) => [
      s.name,
      (JSON.parse(s.spec.Labels[LABEL.spec] as string) as { salt: string }).salt,
    ]),
  );

describe("planSwarm", () => {
  it("creates the overlay, then each service once what it depends on is ready", () => {
    const plan = planOf(desired(), observedClient());
    const steps = plan.steps.map((s) => `${s.type} ${s.object.name} <- ${s.after.join(", ")}`);
    expect(steps).toEqual([
      "create-swarm-network shop_default <- ",
      "create-service shop-db <- create-swarm-network:sw/shop_default",
      "wait-service shop-db <- create-service:sw/shop-db",
      "create-service shop-migrate <- create-swarm-network:sw/shop_default, wait-service:sw/shop-db",
      "wait-service shop-migrate <- create-service:sw/shop-migrate",
      "create-service shop-app <- create-swarm-network:sw/shop_default, wait-service:sw/shop-db, wait-service:sw/shop-migrate",
      "wait-service shop-app <- create-service:sw/shop-app",
    ]);
    const waits = plan.steps.flatMap((s) =>
      s.type === "wait-service" ? [`${s.service} ${s.condition} ${s.replicas}`] : [],
    );
    expect(waits).toEqual(["shop-db healthy 1", "shop-migrate completed 1", "shop-app running 3"]);
    expect(plan.warnings.join()).toMatch(/no IPVS/);
  });

  it("plans nothing when every service carries the spec berth would send and runs its replicas", () => {
    const first = desired();
    const { services, tasks } = running(first);
    const observed = observedClient(services, tasks);
    addOverlay(observed, first.networks[0]?.spec.Labels ?? {});
    const plan = planOf(desired("1", saltsOf(first)), observed);
    expect(plan.steps).toEqual([]);
    expect(plan.changes).toEqual([]);
  });

  it("an overlay that differs from the map is left as it is and reported as outdated, never as matching", () => {
    const first = desired();
    const { services, tasks } = running(first);
    const observed = observedClient(services, tasks);
    const labels = { ...(first.networks[0]?.spec.Labels ?? {}), [LABEL.specHash]: "an-older-spec" };
    addOverlay(observed, labels);
    const plan = planOf(desired("1", saltsOf(first)), observed);
    expect(plan.steps).toEqual([]);
    expect(plan.changes.map((c) => `${c.change} ${c.object.kind} ${c.object.name}`)).toEqual([
      "outdated network shop_default",
    ]);
    expect(plan.warnings.join()).toMatch(/overlay network `shop_default` differs from the map/);
  });

  it("updates a changed service with the version it saw and the field as the reason; startup only reports it", () => {
    const first = desired();
    const { services, tasks } = running(first);
    const changed = desired("2", saltsOf(first));
    const plan = planOf(changed, observedClient(services, tasks));
    const update = plan.steps.find((s) => s.type === "update-service");
    expect(update).toMatchObject({
      service: "shop-app",
      serviceId: "id-shop-app",
      version: services.find((x) => x.name === "shop-app")?.version,
      fields: ["Env.V"],
    });
    expect(plan.changes.find((c) => c.change === "update")?.reasons).toEqual([
      { field: "Env.V", message: 'Env.V changed from "1" to "2"' },
    ]);
    const startup = planOf(changed, observedClient(services, tasks), "startup");
    expect(startup.steps.filter((s) => s.type === "update-service")).toEqual([]);
    expect(startup.changes.find((c) => c.object.name === "shop-app")?.change).toBe("outdated");
  });

  it("waits for a service short of replicas, saying what its tasks say", () => {
    const first = desired();
    const { services, tasks } = running(first);
    const pending = tasks.map((t) =>
      t.id === "task-shop-app-2"
        ? { ...t, state: "pending", message: "no suitable node (1 node not available)" }
        : t,
    );
    const observed = observedClient(services, pending);
    addOverlay(observed, first.networks[0]?.spec.Labels ?? {});
    const plan = planOf(desired("1", saltsOf(first)), observed);
    expect(plan.steps.map((s) => `${s.type} ${s.object.name}`)).toEqual(["wait-service shop-app"]);
    expect(plan.changes[0]?.reasons[0]?.message).toBe(
      "2 of 3 tasks running: 1 pending (no suitable node (1 node not available))",
    );
  });

  it("refuses a service name held by a service that is not the map's", () => {
    const { services } = running(desired(), "other");
    const err = (() => {
      try {
        planOf(desired(), observedClient(services));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isPlanError(err)).toBe(true);
    expect(String(err)).toMatch(
      /service name `shop-db` .* is taken by a service that is not this map's \(map `other`\)/,
    );
  });

  it("shuts down: removes the map's services, then its overlays; another map's stay", () => {
    const want = desired();
    const ours = running(want);
    const theirs = running(want, "other").services.map((s) => ({
      ...s,
      id: `x-${s.id}`,
      name: `x-${s.name}`,
    }));
    const observed = observedClient([...ours.services, ...theirs], ours.tasks);
    addOverlay(observed, want.networks[0]?.spec.Labels ?? {});
    const plan = planOf(want, observed, "shutdown");
    expect(plan.steps.map((s) => `${s.type} ${s.object.name}`)).toEqual([
      "remove-service shop-app",
      "remove-service shop-db",
      "remove-service shop-migrate",
      "remove-network shop_default",
    ]);
    expect(plan.steps.at(-1)?.after).toHaveLength(3);
    expect(plan.warnings).toEqual([]);
  });

  it("shutdown --volumes removes the map's volumes on the nodes it saw, after the services and the task containers that hold them", () => {
    const want: SwarmDesired = {
      ...desired(),
      nodeVolumes: {
        nodes: [
          {
            client: "e5",
            volumes: [{ name: "shop.data", key: "data" }],
            tasks: [
              { id: "t1", name: "shop-migrate.1.abc", service: "shop-migrate", volumes: ["shop.data"] },
              { id: "t2", name: "shop-app.1.def", service: "shop-app", volumes: [] },
            ],
          },
          { client: "sw", volumes: [], tasks: [] },
        ],
        unreachable: [{ client: "e4", why: "no base_url or context in the clients file" }],
      },
    };
    const ours = running(want);
    const plan = planOf(want, observedClient(ours.services, ours.tasks), "shutdown", true);
    const byType = (type: string) => plan.steps.filter((s) => s.type === type);
    const services = byType("remove-service").map((s) => s.id);
    const [task] = byType("remove-container");
    const [volume] = byType("remove-volume");
    // Only the task container that mounts the volume goes; it goes once the services are gone.
    expect(byType("remove-container")).toHaveLength(1);
    expect(task).toMatchObject({
      object: { client: "e5", name: "shop-migrate.1.abc" },
      container: "t1",
      force: true,
    });
    expect(task?.after).toEqual([...services].sort());
    expect(volume).toMatchObject({
      object: { kind: "volume", client: "e5", name: "shop.data", key: "data" },
    });
    expect(volume?.after).toEqual([...services, task?.id].sort());
    expect(plan.changes.find((c) => c.object.kind === "volume")?.reasons[0]?.message).toMatch(
      /on swarm node e5/,
    );
    // A node berth cannot open keeps its volumes: work left undone, naming the node and what to do.
    expect(plan.undone).toEqual([
      {
        client: "e4",
        message:
          "the map's named volumes on swarm node `e4` (of `sw`) stay: berth cannot reach its engine (no base_url or context in the clients file); give client `e4` a `base_url` or `context` in the clients file and run again, or remove them on that node with `docker volume rm`",
      },
    ]);
    expect(plan.warnings).toEqual([]);
    // Without --volumes nothing on the nodes is touched.
    expect(
      planOf(want, observedClient(ours.services, ours.tasks), "shutdown").steps.map((s) => s.type),
    ).not.toContain("remove-volume");
  });

  it("a second shutdown --volumes, with nothing left on the nodes, plans nothing", () => {
    const want: SwarmDesired = {
      ...desired(),
      nodeVolumes: { nodes: [{ client: "e5", volumes: [], tasks: [] }], unreachable: [] },
    };
    const plan = planOf(want, observedClient(), "shutdown", true);
    expect(plan.steps).toEqual([]);
    expect(plan.warnings).toEqual([]);
  });

  it("a node whose engine did not answer, or that berth cannot reach, keeps its volumes: undone work, and the engine counts as one that did not answer", () => {
    const want: SwarmDesired = {
      ...desired(),
      nodeVolumes: {
        nodes: [{ client: "sw", volumes: [], tasks: [] }],
        unreachable: [
          { client: "e4", why: "no base_url or context in the clients file" },
          { client: "e5", why: "its engine did not answer", down: true },
        ],
      },
    };
    const plan = planOf(want, observedClient(), "shutdown", true);
    expect(plan.undone.map((u) => u.client)).toEqual(["e4", "e5"]);
    expect(plan.undone[1]?.message).toBe(
      "engine `e5` did not answer (its engine did not answer): the map's named volumes on this node of swarm `sw` stay; run again once it answers",
    );
    expect(plan.warnings).toEqual([]);
    expect(swarmNodesDown([want])).toEqual({ e5: "its engine did not answer" });
  });
});

/** The map's services as `berth stop` leaves them: replicated ones at 0 replicas, their tasks shut down. */
function stoppedWorld(want: SwarmDesired): { services: ObservedService[]; tasks: ObservedTask[] } {
  const { services, tasks } = running(want);
  return {
    services: services.map((s) =>
      s.kind === "job" ? s : { ...s, version: s.version + 1, replicas: 0, runningTasks: 0, desiredTasks: 0 },
    ),
    tasks: tasks.map((t) =>
      t.jobIteration === undefined ? { ...t, state: "shutdown", desiredState: "shutdown" } : t,
    ),
  };
}

const stepText = (plan: PlanBuilder) =>
  plan.steps.map((s) => {
    const detail = s.type === "scale-service" ? ` ${s.replicas}` : "";
    return `${s.type} ${s.object.name}${detail} <- ${s.after.join(", ")}`;
  });

describe("planSwarm: start, stop, restart, kill act on services", () => {
  const APP_KEYS = ["app.a", "app.b", "app.c"];

  it("stop scales each replicated service to 0, dependents first, with its reason; the completed job is left", () => {
    const want = desired();
    const { services, tasks } = running(want);
    const plan = planOf(want, observedClient(services, tasks), "stop");
    expect(stepText(plan)).toEqual([
      "scale-service shop-app 0 <- ",
      "scale-service shop-db 0 <- scale-service:sw/shop-app",
    ]);
    const app = plan.steps[0];
    expect(app).toMatchObject({
      serviceId: "id-shop-app",
      version: services.find((x) => x.name === "shop-app")?.version,
    });
    expect(plan.changes.map((c) => `${c.change} ${c.object.name}`)).toEqual([
      "stop shop-app",
      "stop shop-db",
    ]);
    expect(plan.changes[0]?.reasons[0]?.message).toBe(
      "stop requested: scaled to 0 replicas (from 3); the service, its spec and volumes stay, and `berth start` or `update` brings the replicas back",
    );
    expect(plan.warnings).toEqual([]);
  });

  it("stop of a target takes its dependents too; kill acts on the targets only, saying the signal is not sent", () => {
    const want = desired();
    const { services, tasks } = running(want);
    const stop = planOf(want, observedClient(services, tasks), "stop", false, ["db"]);
    expect(stop.steps.map((s) => s.object.name)).toEqual(["shop-app", "shop-db"]);
    const kill = planOf(want, observedClient(services, tasks), "kill", false, ["db"]);
    expect(stepText(kill)).toEqual(["scale-service shop-db 0 <- "]);
    expect(kill.changes[0]?.change).toBe("kill");
    expect(kill.changes[0]?.reasons[1]?.message).toMatch(/SIGKILL is not sent/);
  });

  it("a second stop of stopped services plans nothing", () => {
    const want = desired();
    const { services, tasks } = stoppedWorld(want);
    const plan = planOf(want, observedClient(services, tasks), "stop");
    expect(plan.steps).toEqual([]);
    expect(plan.changes).toEqual([]);
  });

  it("start brings back the map's replicas, dependencies first and waited for; a second start plans nothing", () => {
    const first = desired();
    const { services, tasks } = stoppedWorld(first);
    const want = desired("1", saltsOf(first));
    const plan = planOf(want, observedClient(services, tasks), "start");
    expect(stepText(plan)).toEqual([
      "scale-service shop-db 1 <- ",
      "wait-service shop-db <- scale-service:sw/shop-db",
      "scale-service shop-app 3 <- wait-service:sw/shop-db",
      "wait-service shop-app <- scale-service:sw/shop-app",
    ]);
    expect(plan.changes.map((c) => `${c.change} ${c.object.name}`)).toEqual([
      "start shop-db",
      "start shop-app",
    ]);
    const again = running(want);
    expect(planOf(want, observedClient(again.services, again.tasks), "start").steps).toEqual([]);
  });

  it("update after stop brings the replicas back (the labels alone would say nothing changed), without a rolling update", () => {
    const first = desired();
    const { services, tasks } = stoppedWorld(first);
    const observed = observedClient(services, tasks);
    addOverlay(observed, first.networks[0]?.spec.Labels ?? {});
    for (const action of ["update", "startup"] as const) {
      const plan = planOf(desired("1", saltsOf(first)), observed, action);
      expect(plan.steps.map((s) => s.type)).not.toContain("update-service");
      expect(stepText(plan).filter((s) => s.startsWith("scale-service"))).toEqual([
        "scale-service shop-db 1 <- ",
        "scale-service shop-app 3 <- wait-service:sw/shop-db",
      ]);
      expect(plan.changes.find((c) => c.object.name === "shop-app")?.reasons[0]?.message).toBe(
        "stopped (0 replicas, by `berth stop` or by hand): scaled back to the map's 3",
      );
    }
  });

  it("update sets the map's replica count again on a service scaled by hand, the field as its reason", () => {
    const first = desired();
    const { services, tasks } = running(first);
    const scaled = services.map((s) => (s.name === "shop-app" ? { ...s, replicas: 5 } : s));
    const plan = planOf(desired("1", saltsOf(first)), observedClient(scaled, tasks));
    expect(plan.changes.find((c) => c.object.name === "shop-app")).toEqual({
      object: { kind: "service", name: "shop-app", client: "sw", key: "app" },
      change: "update",
      reasons: [{ message: "replicas changed", field: "replicas", old: 5, new: 3 }],
    });
    expect(stepText(plan).filter((s) => s.includes("shop-app"))).toEqual([
      // (The overlay is missing in this observation: it is created first.)
      "scale-service shop-app 3 <- create-swarm-network:sw/shop_default",
      "wait-service shop-app <- scale-service:sw/shop-app",
    ]);
  });

  it("restart replaces every task of the targets (ForceUpdate) and waits; a stopped one is started; a missing one is skipped", () => {
    const want = desired();
    const { services, tasks } = running(want);
    const plan = planOf(want, observedClient(services, tasks), "restart", false, APP_KEYS);
    expect(stepText(plan)).toEqual([
      "restart-service shop-app <- ",
      "wait-service shop-app <- restart-service:sw/shop-app",
    ]);
    expect(plan.steps[0]).toMatchObject({
      serviceId: "id-shop-app",
      version: services.find((x) => x.name === "shop-app")?.version,
    });
    expect(plan.changes[0]?.reasons[0]?.message).toMatch(
      /a rolling restart, as `docker service update --force`/,
    );

    const stopped = stoppedWorld(want);
    const again = planOf(want, observedClient(stopped.services, stopped.tasks), "restart", false, APP_KEYS);
    expect(stepText(again)[0]).toBe("scale-service shop-app 3 <- ");
    expect(again.changes[0]?.change).toBe("restart");

    const missing = planOf(want, observedClient(), "restart", false, APP_KEYS);
    expect(missing.steps).toEqual([]);
    expect(missing.changes[0]).toMatchObject({
      change: "skip",
      reasons: [{ message: "service does not exist (startup creates it)" }],
    });
  });

  it("refuses to stop a global service, naming it and what to do", () => {
    const want = desired();
    const { services, tasks } = running(want);
    const global = services.map((s) => (s.name === "shop-db" ? { ...s, mode: "global" as const } : s));
    expect(() => planOf(want, observedClient(global, tasks), "stop", false, ["db"])).toThrow(
      "sw: `berth stop` cannot stop global service `shop-db` (config `db`): it runs one task on every node and has no replica count to set to 0",
    );
    try {
      planOf(want, observedClient(global, tasks), "kill", false, ["db"]);
    } catch (err) {
      expect(isPlanError(err)).toBe(true);
      expect((err as { hint?: string }).hint).toMatch(/`berth shutdown db` removes it/);
    }
  });

  it("refuses to stop a job whose tasks run; one that completed is left as it is", () => {
    const want = desired();
    const { services, tasks } = running(want);
    const runningJob = tasks.map((t) =>
      t.serviceId === "id-shop-migrate" ? { ...t, state: "running", desiredState: "complete" } : t,
    );
    expect(() => planOf(want, observedClient(services, runningJob), "stop", false, ["migrate"])).toThrow(
      /cannot stop job `shop-migrate` \(config `migrate`\): 1 of its tasks run/,
    );
    // Stopping it stops what depends on it (app); the completed job itself is left as it is.
    const done = planOf(want, observedClient(services, tasks), "stop", false, ["migrate"]);
    expect(stepText(done)).toEqual(["scale-service shop-app 0 <- "]);
  });
});
