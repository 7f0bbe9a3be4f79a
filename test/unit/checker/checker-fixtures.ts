import type { ContainerFacts, EngineWorld, InspectedContainer } from "../../helpers/checker/engine-facts.js";
import type { ExpectedContainer, ExpectedMap } from "../../helpers/checker/expected-map.js";

/** A small resolved map (as `berth config --json` prints it) and an engine that runs it exactly. */
export function container(key: string, more: Partial<ExpectedContainer> = {}): ExpectedContainer {
  return {
    key,
    config: key.split(".")[0] ?? key,
    name: `m.${key}`,
    image: "img:1",
    environment: {},
    labels: {},
    persistent: false,
    shares: [],
    binds: [],
    attaches: [],
    usesVolumes: [],
    links: [],
    ports: [],
    networkMode: { kind: "default" },
    endpoints: [],
    execCommands: [],
    dependsOn: [],
    host_config: {},
    hostname: `m-${key.replace(".", "-")}`,
    ...more,
  };
}

export function sampleMap(): ExpectedMap {
  return {
    name: "m",
    containers: [
      container("hub", {
        environment: { MODE: "one" },
        attaches: [{ name: "m.data", path: "/data", readonly: false }],
        ports: [{ port: "8080/tcp", hostPort: 18080 }],
        networkMode: { kind: "network", network: "back" },
        endpoints: [{ network: "back", name: "m.back", aliases: ["hub-alias"] }],
        host_config: { mem_limit: 67108864 },
        restart: "unless-stopped",
        user: "1000",
        command: ["sleep", "1000"],
        execCommands: [{ cmd: ["touch", "/tmp/ran"], policy: "restart", detach: false }],
        healthcheck: { test: ["CMD", "true"] },
      }),
      container("side", { networkMode: { kind: "container", container: "hub" } }),
      container("app", { links: [{ container: "db", alias: "database" }] }),
      container("db"),
    ],
    volumes: [{ name: "m.data", owner: "hub", driver: "local", permissions: "0750" }],
    networks: [{ name: "m.back", driver: "bridge", internal: false }],
  };
}

const IMAGE_ID = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

function inspectFor(expected: ExpectedContainer, index: number): InspectedContainer {
  const networks =
    expected.networkMode.kind === "network"
      ? Object.fromEntries(
          expected.endpoints.map((e) => [
            e.name,
            { Aliases: [...e.aliases, "abc123"], IPAddress: `10.1.0.${index + 2}` },
          ]),
        )
      : expected.networkMode.kind === "default"
        ? { bridge: { Aliases: null, IPAddress: `172.17.0.${index + 2}` } }
        : {};
  const ports = Object.fromEntries(
    expected.ports.map((p) => [
      p.port,
      p.hostPort === undefined ? null : [{ HostIp: "0.0.0.0", HostPort: String(p.hostPort) }],
    ]),
  );
  return {
    Id: `${String(index).repeat(12)}aaaa`,
    Name: `/${expected.name}`,
    Image: IMAGE_ID,
    State: {
      Status: "running",
      Running: true,
      ExitCode: 0,
      StartedAt: "2026-01-01T00:00:00Z",
      Pid: 100 + index,
      ...(expected.healthcheck ? { Health: { Status: "healthy" } } : {}),
    },
    Config: {
      Env: ["PATH=/bin", ...Object.entries(expected.environment).map(([k, v]) => `${k}=${v}`)],
      Cmd: expected.command ?? ["sh"],
      Entrypoint: expected.entrypoint ?? null,
      User: expected.user ?? "",
      WorkingDir: "",
      Hostname: expected.hostname ?? "",
      Labels: {},
      ExposedPorts: Object.fromEntries(expected.ports.map((p) => [p.port, {}])),
      ...(expected.healthcheck ? { Healthcheck: { Test: expected.healthcheck.test } } : {}),
    },
    HostConfig: {
      NetworkMode: expected.networkMode.kind === "container" ? "container:m.hub" : "default",
      Links: expected.links.map((l) => `/m.${l.container}:/${expected.name}/${l.alias}`),
      PortBindings: ports,
      RestartPolicy: { Name: expected.restart ?? "", MaximumRetryCount: 0 },
      Memory: expected.host_config.mem_limit ?? 0,
      MemorySwap:
        expected.host_config.mem_limit === undefined ? 0 : Number(expected.host_config.mem_limit) * 2,
    },
    Mounts: expected.attaches.map((a) => ({
      Type: "volume",
      Name: a.name,
      Source: "/var/lib/docker/x",
      Destination: a.path,
      RW: true,
    })),
    NetworkSettings: { Ports: ports, Networks: networks },
  };
}

/** The engine running `map` exactly. */
export function convergedWorld(map: ExpectedMap): EngineWorld {
  const containers = new Map<string, ContainerFacts>();
  map.containers.forEach((expected, index) => {
    const inspect = inspectFor(expected, index);
    const paths = Object.fromEntries(expected.execCommands.map((e) => [e.cmd[1] ?? "", true]));
    containers.set(expected.name, {
      inspect,
      netns: expected.networkMode.kind === "container" ? "net:[1]" : `net:[${index + 2}]`,
      paths,
    });
  });
  const hub = containers.get("m.hub");
  if (hub) hub.netns = "net:[1]";
  const app = containers.get("m.app");
  if (app) app.hosts = "127.0.0.1\tlocalhost\n172.17.0.5\tdatabase m.db\n";
  return {
    containers,
    namedLikeMap: map.containers.map((c) => c.name),
    images: new Map([
      ["img:1", { Id: IMAGE_ID, Config: { Env: ["PATH=/bin"], Cmd: ["sh"], Entrypoint: null } }],
    ]),
    volumes: new Map([
      ["m.data", { Name: "m.data", Driver: "local", folder: { uid: 1000, gid: 0, mode: 0o750 } }],
    ]),
    networks: new Map([["m.back", { Name: "m.back", Driver: "bridge", Internal: false }]]),
  };
}

/** The facts of one container of a world (throws when absent, for brevity in tests). */
export function factsOf(world: EngineWorld, name: string): ContainerFacts {
  const facts = world.containers.get(name);
  if (facts === undefined) throw new Error(`no ${name} in the world`);
  return facts;
}
