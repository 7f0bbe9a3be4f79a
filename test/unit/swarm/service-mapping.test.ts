import { describe, expect, it } from "vitest";
import type { ClientConfig } from "../../../src/map/clients-file.js";
import {
  desiredServices,
  recordedSalt,
  serviceChanges,
  type DesiredService,
} from "../../../src/swarm/swarm.js";
import { loadMap } from "../../../src/load-map.js";

const client = (settings: Partial<ClientConfig> = {}): ClientConfig => ({
  interfaces: {},
  interfaces_ipv6: {},
  ...settings,
});

const CLIENTS: Record<string, ClientConfig> = {
  sw: client({ mode: "swarm", node_label: "berth.test.node" }),
  e4: client({ swarm: "sw" }),
  e5: client({ swarm: "sw" }),
};

function servicesOf(yaml: string, options = {}): DesiredService[] {
  const map = loadMap({
    files: ["m.yaml"],
    texts: { "m.yaml": yaml },
    mapName: "shop",
    env: {},
    clients: CLIENTS,
  });
  return desiredServices(map.resolved, CLIENTS, options);
}

function serviceOf(yaml: string, options = {}): DesiredService {
  return servicesOf(yaml, options)[0] as DesiredService;
}

describe("every mapped key reaches its service field", () => {
  const web = serviceOf(`
clients: [sw]
web:
  image: "w:1"
  user: "1000:1000"
  working_dir: /srv
  hostname: web
  stop_signal: SIGINT
  stop_timeout: 3
  restart: on-failure:4
  healthcheck: {test: [CMD, "true"], interval: 2s, timeout: 1s, retries: 3, start_period: 5s}
  labels: {tier: front}
  shares: [/cache]
  binds: [[/etc/conf, /srv/conf, ro]]
  host_config:
    mem_limit: 64m
    mem_reservation: 32m
    cpu_quota: 50000
    cpu_period: 100000
    pids_limit: 100
    init: true
    read_only: true
    sysctls: {net.core.somaxconn: "1024"}
    cap_add: [NET_ADMIN]
    cap_drop: [MKNOD]
    ulimits: [{name: nofile, soft: 1024, hard: 2048}]
    dns: [10.0.0.2]
    dns_search: [example.org]
    extra_hosts: {db.local: 10.0.0.3}
    group_add: ["1000"]
    tmpfs: ["/run:size=1m,mode=1777"]
    log_config: {type: json-file, config: {max-size: 10m}}
  create_options: {tty: true, stdin_open: true}
`);
  const task = web.spec.TaskTemplate;

  it("container spec", () => {
    expect(task.ContainerSpec).toEqual({
      Image: "w:1",
      Labels: { tier: "front" },
      Hostname: "web",
      User: "1000:1000",
      Dir: "/srv",
      StopSignal: "SIGINT",
      StopGracePeriod: 3e9,
      Healthcheck: { Test: ["CMD", "true"], Interval: 2e9, Timeout: 1e9, Retries: 3, StartPeriod: 5e9 },
      Init: true,
      ReadOnly: true,
      Sysctls: { "net.core.somaxconn": "1024" },
      CapabilityAdd: ["NET_ADMIN"],
      CapabilityDrop: ["MKNOD"],
      Ulimits: [{ Name: "nofile", Soft: 1024, Hard: 2048 }],
      DNSConfig: { Nameservers: ["10.0.0.2"], Search: ["example.org"] },
      Hosts: ["10.0.0.3 db.local"],
      Groups: ["1000"],
      TTY: true,
      OpenStdin: true,
      Mounts: [
        { Type: "volume", Target: "/cache" },
        { Type: "bind", Source: "/srv/conf", Target: "/etc/conf", ReadOnly: true },
        { Type: "tmpfs", Target: "/run", TmpfsOptions: { SizeBytes: 1024 ** 2, Mode: 0o1777 } },
      ],
    });
  });

  it("resources, restart policy, log driver", () => {
    expect(task.Resources).toEqual({
      Limits: { MemoryBytes: 64 * 1024 ** 2, NanoCPUs: 5e8, Pids: 100 },
      Reservations: { MemoryBytes: 32 * 1024 ** 2 },
    });
    expect(task.RestartPolicy).toEqual({ Condition: "on-failure", MaxAttempts: 4 });
    expect(task.LogDriver).toEqual({ Name: "json-file", Options: { "max-size": "10m" } });
  });

  it("restart policies: no → none, always and unless-stopped → any", () => {
    const of = (restart: string) =>
      serviceOf(`clients: [sw]\nweb: {image: "w:1", restart: ${restart}}\n`).spec.TaskTemplate.RestartPolicy;
    expect(of("no")).toEqual({ Condition: "none" });
    expect(of("always")).toEqual({ Condition: "any" });
    expect(of("unless-stopped")).toEqual({ Condition: "any" });
  });
});

describe("swarm: settings", () => {
  const yaml = `
clients: [e4, e5]
web:
  image: "w:1"
  instances: [a, b]
  exposes: [[8080, 80]]
  swarm:
    replicas: 4
    update_config: {parallelism: 2, delay: 1s, monitor: 1s, order: start-first, failure_action: pause, max_failure_ratio: 0.5}
    placement: {constraints: ["node.role == worker"], preferences: [node.labels.zone], max_replicas_per_node: 3}
    endpoint_mode: dnsrr
`;
  const web = serviceOf(yaml);

  it("replicas override the instance count", () => {
    expect(web.spec.Mode).toEqual({ Replicated: { Replicas: 4 } });
    expect(web.instances).toEqual(["a", "b"]);
  });

  it("update_config becomes the update and rollback configs (a rollback pauses when it fails)", () => {
    const update = { Parallelism: 2, Delay: 1e9, Monitor: 1e9, Order: "start-first", MaxFailureRatio: 0.5 };
    expect(web.spec.UpdateConfig).toEqual({ ...update, FailureAction: "pause" });
    expect(web.spec.RollbackConfig).toEqual({ ...update, FailureAction: "pause" });
  });

  it("the default update rolls back a failed update, one task at a time", () => {
    expect(serviceOf(`clients: [sw]\nweb: {image: "w:1"}\n`).spec.UpdateConfig).toEqual({
      Parallelism: 1,
      Delay: 0,
      FailureAction: "rollback",
      Monitor: 5e9,
      Order: "stop-first",
    });
  });

  it("placement: constraints, spread preferences, max replicas per node; dnsrr publishes on the node", () => {
    expect(web.spec.TaskTemplate.Placement).toEqual({
      Constraints: ["node.role==worker"],
      Preferences: [{ Spread: { SpreadDescriptor: "node.labels.zone" } }],
      MaxReplicas: 3,
    });
    expect(web.spec.EndpointSpec).toEqual({
      Mode: "dnsrr",
      Ports: [{ Protocol: "tcp", TargetPort: 8080, PublishedPort: 80, PublishMode: "host" }],
    });
  });

  it("host-mode ports with more than one task per node: the plan says the extra ones stay pending", () => {
    expect(web.notes.join("\n")).toMatch(/a second task on a node cannot publish its host-mode ports/);
  });

  it("host-mode ports without max_replicas_per_node: one task per node, said in a note", () => {
    const s = serviceOf(yaml.replace(", max_replicas_per_node: 3", ""));
    expect(s.spec.TaskTemplate.Placement?.MaxReplicas).toBe(1);
    expect(s.notes).toContain("one task per node: it publishes host-mode ports");
  });

  it("replicas with different hostnames get one per task", () => {
    const s = serviceOf(`clients: [sw]\nweb: {image: "w:1", instances: [a, b]}\n`);
    expect(s.spec.TaskTemplate.ContainerSpec.Hostname).toBe("{{.Service.Name}}-{{.Task.Slot}}");
  });
});

describe("links become aliases of the linked service", () => {
  it("on the default overlay for legacy links, on the network for a network's links", () => {
    const services = servicesOf(`
clients: [sw]
networks: {back: {}}
db: {image: "d:1", networks: [back]}
cache: {image: "c:1"}
web:
  image: "w:1"
  links: [[cache, kv]]
  networks: {back: {links: [[db, database]]}}
`);
    const byName = Object.fromEntries(services.map((s) => [s.configKey, s]));
    expect(byName.db?.spec.TaskTemplate.Networks).toEqual([
      { Target: "shop_default" },
      { Target: "shop_back", Aliases: ["database"] },
    ]);
    expect(byName.cache?.spec.TaskTemplate.Networks).toEqual([{ Target: "shop_default", Aliases: ["kv"] }]);
  });
});

describe("named volumes pinned to their node, prepared by a job", () => {
  const services = servicesOf(`
clients: [e4, e5]
volumes: {data: {default_path: /data, user: "999:999", permissions: "0700"}}
db: {image: "d:1", clients: [e4], attaches: [data]}
backup: {image: "b:1", clients: [e4], uses: [data]}
`);
  const db = services.find((s) => s.configKey === "db") as DesiredService;

  it("mounts the volume with berth's labels, pinned to the node", () => {
    expect(db.volumes).toEqual([{ name: "shop.data", node: "e4" }]);
    expect(db.spec.TaskTemplate.Placement?.Constraints).toEqual(["node.labels.berth.test.node==e4"]);
    expect(db.spec.TaskTemplate.ContainerSpec.Mounts?.[0]).toMatchObject({
      Type: "volume",
      Source: "shop.data",
      Target: "/data",
      VolumeOptions: { Labels: { "berth.map": "shop", "berth.kind": "volume", "berth.alias": "data" } },
    });
  });

  it("describes the preparation job (owner and permissions, on that node) and says so in a note", () => {
    expect(db.preparations).toHaveLength(1);
    const prep = db.preparations[0];
    expect(prep).toMatchObject({ volume: "shop.data", node: "e4", user: "999:999", permissions: "0700" });
    expect(prep?.spec.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } });
    expect(prep?.spec.TaskTemplate.Placement?.Constraints).toEqual(["node.labels.berth.test.node==e4"]);
    expect(prep?.spec.TaskTemplate.ContainerSpec.Command?.[2]).toMatch(
      /chown -R '999:999' \/berth-volume\nchmod -R '0700'/,
    );
    expect(db.notes.join("\n")).toMatch(/volume shop.data is node-local: the service is pinned to e4/);
  });

  it("the user of the volume mounts it too", () => {
    const backup = services.find((s) => s.configKey === "backup") as DesiredService;
    expect(backup.volumes).toEqual([{ name: "shop.data", node: "e4" }]);
    expect(backup.preparations).toEqual([]);
  });
});

describe("sensitive environment values as Swarm secrets (swarm.secrets: true)", () => {
  const yaml = `
clients: [sw]
db:
  image: "d:1"
  environment: {DB_PASSWORD: hunter22, MODE: primary}
  swarm: {secrets: true}
`;

  it("moves each one to a secret file, with NAME_FILE in the environment", () => {
    const db = serviceOf(yaml);
    const container = db.spec.TaskTemplate.ContainerSpec;
    expect(container.Env).toEqual(["DB_PASSWORD_FILE=/run/secrets/DB_PASSWORD", "MODE=primary"]);
    expect(db.secrets).toHaveLength(1);
    const secret = db.secrets[0];
    expect(secret).toMatchObject({ env: "DB_PASSWORD", value: "hunter22" });
    expect(secret?.name).toMatch(/^shop-db_DB_PASSWORD_[0-9a-f]{12}$/);
    expect(secret?.labels).toMatchObject({ "berth.map": "shop", "berth.kind": "secret" });
    expect(container.Secrets).toEqual([
      { SecretName: secret?.name, File: { Name: "DB_PASSWORD", UID: "0", GID: "0", Mode: 0o444 } },
    ]);
    expect(JSON.stringify(db.spec)).not.toContain("hunter22");
  });

  it("keeps the secret's name for the same value and salt; a new value is a new secret (a change)", () => {
    const before = serviceOf(yaml);
    const salts = { "shop-db": recordedSalt(before.spec.Labels) as string };
    const same = serviceOf(yaml, { salts });
    expect(same.secrets[0]?.name).toBe(before.secrets[0]?.name);
    expect(serviceChanges(same, before.spec.Labels)).toEqual([]);
    const changed = serviceOf(yaml.replace("hunter22", "swordfish"), { salts });
    expect(changed.secrets[0]?.name).not.toBe(before.secrets[0]?.name);
    const changes = serviceChanges(changed, before.spec.Labels);
    expect(changes.map((c) => c.field)).toEqual(["Secrets"]);
    expect(JSON.stringify(changes)).not.toMatch(/hunter22|swordfish/);
  });
});

describe("the record ignores what the engine fills in", () => {
  it("a secret's id set on the spec sent is no change", () => {
    const yaml = `clients: [sw]\ndb: {image: "d:1", environment: {DB_PASSWORD: hunter22}, swarm: {secrets: true}}\n`;
    const before = serviceOf(yaml);
    const salts = { "shop-db": recordedSalt(before.spec.Labels) as string };
    const again = serviceOf(yaml, { salts });
    const sent = again.spec.TaskTemplate.ContainerSpec.Secrets?.[0];
    if (sent !== undefined) sent.SecretID = "abc123";
    expect(serviceChanges(again, before.spec.Labels)).toEqual([]);
  });
});
