import { describe, expect, it } from "vitest";
import type { ClientConfig } from "../../../src/map/clients-file.js";
import {
  desiredServices,
  isSwarmClient,
  recordedSalt,
  serviceChanges,
  swarmNetworks,
  type DesiredService,
} from "../../../src/swarm/swarm.js";
import { mapOf } from "../../helpers/plan-fixtures.js";

const client = (settings: Partial<ClientConfig> = {}): ClientConfig => ({
  interfaces: {},
  interfaces_ipv6: {},
  ...settings,
});

/** A swarm manager `sw` with nodes e4 and e5 (node label berth.test.node), and a plain engine e2. */
const CLIENTS: Record<string, ClientConfig> = {
  sw: client({ base_url: "unix:///run/berth-e4.sock", mode: "swarm", node_label: "berth.test.node" }),
  e4: client({ swarm: "sw" }),
  e5: client({ swarm: "sw" }),
  e2: client({ base_url: "unix:///run/berth-e2.sock" }),
};

const MAP = `
clients: [sw]
networks:
  back: {}
db:
  image: "berth-test/base:1"
  environment: {POSTGRES_PASSWORD: hunter22, MODE: primary}
  healthcheck: {test: [CMD, "true"], interval: 1s}
  exposes: [[5432, 5433]]
app:
  image: "berth-test/base:1"
  instances: [a, b, c]
  command: [sleep, "3600"]
  networks: {back: {aliases: [web]}}
  depends_on: {db: healthy, migrate: completed}
migrate:
  image: "berth-test/oneshot:1"
  entrypoint: [sh, -c]
  command: ["echo migrated"]
`;

function services(yaml = MAP, options = {}): Record<string, DesiredService> {
  const list = desiredServices(mapOf(yaml, "shop").resolved, CLIENTS, options);
  return Object.fromEntries(
    list.map((s) => [s.configKey + (s.instances.length === 1 ? `.${s.instances[0]}` : ""), s]),
  );
}

describe("desiredServices: configs on a swarm client become services", () => {
  it("names each service <map>-<config> and labels it like berth's containers", () => {
    const { db } = services();
    expect(db?.name).toBe("shop-db");
    expect(db?.client).toBe("sw");
    expect(db?.spec.Name).toBe("shop-db");
    expect(db?.spec.Labels).toMatchObject({
      "berth.map": "shop",
      "berth.config": "db",
      "berth.kind": "service",
      "berth.client": "sw",
      "berth.spec-hash": db?.specHash,
    });
  });

  it("folds identical instances into replicas of one service", () => {
    const { app } = services();
    expect(app?.instances).toEqual(["a", "b", "c"]);
    expect(app?.instanceKeys).toEqual(["app.a", "app.b", "app.c"]);
    expect(app?.spec.Mode).toEqual({ Replicated: { Replicas: 3 } });
  });

  it("maps image, environment (sorted), command and entrypoint to the task's container spec", () => {
    const { db, app, migrate } = services();
    expect(db?.spec.TaskTemplate.ContainerSpec).toMatchObject({
      Image: "berth-test/base:1",
      Env: ["MODE=primary", "POSTGRES_PASSWORD=hunter22"],
    });
    expect(app?.spec.TaskTemplate.ContainerSpec.Args).toEqual(["sleep", "3600"]);
    expect(app?.spec.TaskTemplate.ContainerSpec.Command).toBeUndefined();
    expect(migrate?.spec.TaskTemplate.ContainerSpec).toMatchObject({
      Command: ["sh", "-c"],
      Args: ["echo migrated"],
    });
  });

  it("never puts a sensitive value in the labels: the record holds a salted hash", () => {
    const { db } = services();
    const labels = JSON.stringify(db?.spec.Labels);
    expect(labels).not.toContain("hunter22");
    expect(labels).toContain("POSTGRES_PASSWORD=hmac-sha256:");
  });

  it("joins the map's default overlay and its own networks, with aliases", () => {
    const { app, db } = services();
    expect(db?.networks).toEqual(["shop_default"]);
    expect(app?.networks).toEqual(["shop_default", "shop_back"]);
    expect(app?.spec.TaskTemplate.Networks).toEqual([
      { Target: "shop_default" },
      { Target: "shop_back", Aliases: ["web"] },
    ]);
  });

  it("uses dnsrr and host-mode ports when the kernel has no IPVS, with a note", () => {
    expect(services().db?.spec.EndpointSpec).toEqual({
      Mode: "vip",
      Ports: [{ Protocol: "tcp", TargetPort: 5432, PublishedPort: 5433, PublishMode: "ingress" }],
    });
    const db = services(MAP, { ipvs: false }).db;
    expect(db?.spec.EndpointSpec).toEqual({
      Mode: "dnsrr",
      Ports: [{ Protocol: "tcp", TargetPort: 5432, PublishedPort: 5433, PublishMode: "host" }],
    });
    expect(db?.notes.join()).toMatch(/no IPVS/);
  });

  it("keeps depends_on by service name and runs what another waits to complete as a job", () => {
    const { app, migrate, db } = services();
    expect(app?.dependsOn).toEqual([
      { service: "shop-db", condition: "healthy" },
      { service: "shop-migrate", condition: "completed" },
    ]);
    expect(migrate?.kind).toBe("job");
    expect(migrate?.spec.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } });
    expect(migrate?.spec.TaskTemplate.RestartPolicy).toEqual({ Condition: "none" });
    expect(db?.healthcheck).toBe(true);
    expect(app?.healthcheck).toBe(false);
  });

  it("leaves configs on plain engines alone", () => {
    const yaml = `clients: [sw, e2]\nweb: {image: "w:1", clients: [e2]}\napi: {image: "a:1", clients: [sw]}\n`;
    expect(Object.keys(services(yaml))).toEqual(["api"]);
  });
});

describe("placement on node clients", () => {
  it("constrains a config on one node to that node's label", () => {
    const { web } = services(`clients: [e4, e5]\nweb: {image: "w:1", clients: [e5]}\n`);
    expect(web?.client).toBe("sw");
    expect(web?.spec.TaskTemplate.Placement).toEqual({ Constraints: ["node.labels.berth.test.node==e5"] });
  });

  it("puts no constraint on a config on every node, or on the manager", () => {
    expect(
      services(`clients: [e4, e5]\nweb: {image: "w:1"}\n`).web?.spec.TaskTemplate.Placement,
    ).toBeUndefined();
    expect(services(`clients: [sw]\nweb: {image: "w:1"}\n`).web?.spec.TaskTemplate.Placement).toBeUndefined();
  });

  it("makes one service per instance when instances are placed differently", () => {
    const list = services(
      `clients: [e4, e5]\nweb: {image: "w:1", instances: [a, b], placement: {a: e4, b: e5}}\n`,
    );
    expect(list["web.a"]?.name).toBe("shop-web-a");
    expect(list["web.a"]?.spec.Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(list["web.a"]?.spec.Labels["berth.instance"]).toBe("a");
    expect(list["web.b"]?.spec.TaskTemplate.Placement?.Constraints).toEqual([
      "node.labels.berth.test.node==e5",
    ]);
  });
});

describe("swarmNetworks", () => {
  it("gives each swarm manager the map's overlays it uses plus <map>_default, attachable", () => {
    const networks = swarmNetworks(mapOf(MAP, "shop").resolved, CLIENTS);
    expect(networks.map((n) => [n.name, n.client, n.key])).toEqual([
      ["shop_back", "sw", "back"],
      ["shop_default", "sw", "default"],
    ]);
    expect(networks[0]?.spec).toMatchObject({ Driver: "overlay", Attachable: true });
    expect(networks[0]?.spec.Labels).toMatchObject({ "berth.map": "shop", "berth.kind": "network" });
  });
});

describe("serviceChanges: the recorded spec against the desired one", () => {
  it("is empty for the same map, and the hash is equal given the recorded salt", () => {
    const before = services().db as DesiredService;
    const salts = { "shop-db": recordedSalt(before.spec.Labels) as string };
    const after = services(MAP, { salts }).db as DesiredService;
    expect(after.specHash).toBe(before.specHash);
    expect(serviceChanges(after, before.spec.Labels)).toEqual([]);
  });

  it("names each changed field with a reason; a secret's values never show", () => {
    const before = services().db as DesiredService;
    const changed = MAP.replace("hunter22", "swordfish").replace("MODE: primary", "MODE: replica");
    const after = services(changed).db as DesiredService;
    const changes = serviceChanges(after, before.spec.Labels);
    expect(changes).toEqual([
      { field: "Env.MODE", reason: 'Env.MODE changed from "primary" to "replica"' },
      { field: "Env.POSTGRES_PASSWORD", reason: "Env.POSTGRES_PASSWORD changed (sensitive)" },
    ]);
    expect(JSON.stringify(changes)).not.toMatch(/hunter22|swordfish/);
  });

  it("reports replicas and image changes", () => {
    const before = services().app as DesiredService;
    const after = services(
      MAP.replace("[a, b, c]", "[a, b]").replace(/base:1"\n {2}instances/, 'base:2"\n  instances'),
    ).app as DesiredService;
    expect(serviceChanges(after, before.spec.Labels).map((c) => c.field)).toEqual([
      "Image",
      "Mode.Replicated.Replicas",
    ]);
  });

  it("is one change when the service has no record berth can read", () => {
    expect(serviceChanges(services().db as DesiredService, {})).toEqual([
      { field: "spec", reason: expect.stringMatching(/no spec berth recorded/) as string },
    ]);
  });
});

describe("isSwarmClient", () => {
  it("is true for a manager and its nodes, false for a plain engine or an unknown name", () => {
    expect(["sw", "e4", "e5", "e2", "nope"].map((c) => isSwarmClient(CLIENTS, c))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});
