import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIo } from "../../../src/cli/cli-io.js";
import { runCli } from "../../../src/cli/main.js";
import type { ContainerInstance, ResolvedMap } from "../../../src/map/model.js";

/**
 * berth against docker-map's derivation rules, for every map of the compatibility corpus in
 * shared/compat/dockermap (docker-map 1.1.1; rules in its BEHAVIOUR.md and README.md).
 *
 * Every expected value below was derived by hand from those rules and is written out literally;
 * none is computed with berth's code. berth's values come from its CLI, run in-process:
 * `config --json` (the resolved instances under `x-berth.resolved`) and `graph --format json`.
 *
 * The rules used, in short:
 * - container `<map>.<config>[.<instance>]`; attached volume `<map>.<alias>`, or
 *   `<map>.<config>.<alias>` with use_attached_parent_name; network `<map>.<network>` (bridge,
 *   host and none as they are); hostname = container name with `.` and `_` replaced by `-`.
 * - image: `image` or the config name; no `/` → `<repository>/` prefix; leading `/` → no prefix;
 *   a `/` elsewhere → as is; no tag → `default_tag`, else `latest`.
 * - host path: a per-instance dict takes the instance's entry (`default` only for a config
 *   without instances, a missing entry is an error); a path not starting with `/` is joined to
 *   host_root; direct binds `{/ctr/path: [host, ro]}` follow the same rule for the host side.
 * - readonly: any truthy value except `rw`; a bare alias or `alias: null` is read-write.
 * - extends: bases first (recursively), then the config; links union; binds, attaches, uses,
 *   exposes, networks merged by first element; create_options and host_config updated key by key;
 *   abstract configs are never deployed.
 * - dependency items of each instance (ContainerMap.dependency_items): network_mode target;
 *   networks other than bridge/host/none plus the containers of endpoint `links`; `uses` → the
 *   config attaching the alias (all its instances) or the named container; `links` → the target
 *   (all instances unless one is named); `attaches` → the volume item; the image item.
 *
 * How edges are compared. berth's graph edges point from a dependency to its dependent, labelled
 * with a kind. docker-map's items map onto berth kinds as follows: network_mode → network-mode,
 * networks → network (+ network-link for endpoint links), uses of a container → uses-container,
 * uses of an attached alias → uses-volume (edge from each attaching instance), links → links,
 * attaches → attaches (edge from the volume node `volume:<alias>` or `volume:<config>.<alias>`).
 * docker-map's IMAGE items have no node in berth; images are compared as container fields.
 * docker-map's list per instance is de-duplicated (merge_list), so one dependency reached through
 * `uses` and `links` is one item there and two kinds in berth: the tables list triples
 * (dependent, dependency, kind), and their (dependent, dependency) pairs are docker-map's items.
 * berth also adds an edge volume → user for `uses` of an attached alias (kind uses-volume, from
 * the volume node). docker-map has no such item, but the same ordering follows transitively: the
 * user depends on every attaching instance, and each attaching instance depends on the volume. So
 * these edges are listed separately (`volumeUses`), and a test checks that each one is implied by
 * the docker-map items of the same table.
 */

const CORPUS = new URL("../../../../shared/compat/dockermap/", import.meta.url).pathname;

// ---- running the CLI in-process ----------------------------------------------------------------

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function berth(
  argv: string[],
  env: Record<string, string> = {},
  cwd: string = CORPUS,
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    cwd,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

interface MapSource {
  files: string[];
  mapName?: string;
  env?: Record<string, string>;
  cwd?: string;
}

function globalArgs(source: MapSource): string[] {
  const args = source.files.flatMap((file) => ["-f", file]);
  return source.mapName === undefined ? args : [...args, "--map-name", source.mapName];
}

type PrintedMap = Record<string, unknown> & { "x-berth": { resolved: ResolvedMap } };

async function printedMap(source: MapSource): Promise<PrintedMap> {
  const result = await berth([...globalArgs(source), "config", "--json"], source.env, source.cwd);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as PrintedMap;
}

interface GraphJson {
  nodes: { id: string; kind: string; key: string }[];
  edges: { dependent: string; dependency: string; kind: string; at: string }[];
}

async function graphJson(source: MapSource): Promise<GraphJson> {
  const result = await berth([...globalArgs(source), "graph", "--format", "json"], source.env, source.cwd);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as GraphJson;
}

// ---- expectation tables --------------------------------------------------------------------------

/** [host path, container path, readonly] */
type Bind = [string, string, boolean];
/** [Docker volume name, container path] */
type Mount = [string, string];
/** [target instance key, alias] */
type Link = [string, string];

interface ExpectedContainer {
  name: string;
  image: string;
  binds?: Bind[];
  attaches?: Mount[];
  usesVolumes?: Mount[];
  usesContainers?: string[];
  links?: Link[];
}

interface ExpectedVolume {
  name: string;
  owner: string;
  path: string;
}

/** [dependent, dependency, berth edge kind] with node ids `container:KEY`, `volume:KEY`, `network:KEY`. */
type Edge = [string, string, string];

interface ExpectedMap {
  source: MapSource;
  /** The map name docker-map would use. */
  name: string;
  /** Instance key → expected values. Exactly these instances exist (abstract configs never do). */
  containers: Record<string, ExpectedContainer>;
  /** Volume key (`alias`, or `config.alias` with use_attached_parent_name) → expected values. */
  volumes: Record<string, ExpectedVolume>;
  /** Network key → Docker network name. */
  networks: Record<string, string>;
  /** docker-map's dependency items, one triple per (dependent, dependency, source key). */
  edges: Edge[];
  /** berth's extra volume → user edges for `uses` of an attached alias: [dependent, volume node]. */
  volumeUses: [string, string][];
}

const SITE = "/var/lib/site";

/** seed-nginx-uwsgi.yaml: `name: main`; no repository, no host_root, absolute host paths. */
const SEED: ExpectedMap = {
  source: { files: ["seed-nginx-uwsgi.yaml"] },
  name: "main",
  containers: {
    nginx: {
      name: "main.nginx",
      image: "nginx:latest",
      binds: [["/var/lib/site/config/nginx", "/etc/nginx", true]],
      attaches: [["main.nginx_log", "/var/log/nginx"]],
      usesVolumes: [["main.uwsgi_socket", "/var/lib/uwsgi/socket"]],
    },
    uwsgi: {
      // No `image`: the config name.
      name: "main.uwsgi",
      image: "uwsgi:latest",
      binds: [
        ["/var/lib/site/config/uwsgi", "/etc/uwsgi", true],
        ["/var/lib/site/config/app", "/var/lib/app/config", true],
        ["/var/lib/site/data/app", "/var/lib/app/data", false],
      ],
      attaches: [
        ["main.uwsgi_log", "/var/log/uwsgi"],
        ["main.app_log", "/var/lib/app/log"],
        ["main.uwsgi_socket", "/var/lib/uwsgi/socket"],
      ],
    },
  },
  volumes: {
    nginx_log: { name: "main.nginx_log", owner: "nginx", path: "/var/log/nginx" },
    uwsgi_log: { name: "main.uwsgi_log", owner: "uwsgi", path: "/var/log/uwsgi" },
    app_log: { name: "main.app_log", owner: "uwsgi", path: "/var/lib/app/log" },
    uwsgi_socket: { name: "main.uwsgi_socket", owner: "uwsgi", path: "/var/lib/uwsgi/socket" },
  },
  networks: {},
  edges: [
    ["container:nginx", "container:uwsgi", "uses-volume"],
    ["container:nginx", "volume:nginx_log", "attaches"],
    ["container:uwsgi", "volume:uwsgi_log", "attaches"],
    ["container:uwsgi", "volume:app_log", "attaches"],
    ["container:uwsgi", "volume:uwsgi_socket", "attaches"],
  ],
  volumeUses: [["container:nginx", "volume:uwsgi_socket"]],
};

/**
 * docs-example.yaml: no `name:` key, so the name is the file's base name (docker-map's
 * `load_map_file(filename, name='')`, berth's default). `- app_data:` is `{app_data: null}`: a
 * bare alias (not a path) with a falsy flag, read-write by the documented rules.
 */
const DOCS_EXAMPLE: ExpectedMap = {
  source: { files: ["docs-example.yaml"] },
  name: "docs-example",
  containers: {
    web_server: {
      name: "docs-example.web_server",
      image: "registry.example.com/nginx:latest",
      binds: [[`${SITE}/config/nginx`, "/etc/nginx", true]],
      attaches: [["docs-example.web_log", "/var/log/nginx"]],
      usesVolumes: [["docs-example.app_server_socket", "/var/lib/app/socket"]],
    },
    "app_server.instance1": {
      name: "docs-example.app_server.instance1",
      image: "registry.example.com/app:latest",
      binds: [
        [`${SITE}/config/app1`, "/var/lib/app/config", true],
        [`${SITE}/data/app1`, "/var/lib/app/data", false],
      ],
      attaches: [
        ["docs-example.app_log", "/var/lib/app/log"],
        ["docs-example.app_server_socket", "/var/lib/app/socket"],
      ],
    },
    "app_server.instance2": {
      name: "docs-example.app_server.instance2",
      image: "registry.example.com/app:latest",
      binds: [
        [`${SITE}/config/app2`, "/var/lib/app/config", true],
        [`${SITE}/data/app2`, "/var/lib/app/data", false],
      ],
      attaches: [
        ["docs-example.app_log", "/var/lib/app/log"],
        ["docs-example.app_server_socket", "/var/lib/app/socket"],
      ],
    },
  },
  volumes: {
    web_log: { name: "docs-example.web_log", owner: "web_server", path: "/var/log/nginx" },
    app_log: { name: "docs-example.app_log", owner: "app_server", path: "/var/lib/app/log" },
    app_server_socket: {
      name: "docs-example.app_server_socket",
      owner: "app_server",
      path: "/var/lib/app/socket",
    },
  },
  networks: {},
  edges: [
    ["container:web_server", "container:app_server.instance1", "uses-volume"],
    ["container:web_server", "container:app_server.instance2", "uses-volume"],
    ["container:web_server", "volume:web_log", "attaches"],
    ["container:app_server.instance1", "volume:app_log", "attaches"],
    ["container:app_server.instance1", "volume:app_server_socket", "attaches"],
    ["container:app_server.instance2", "volume:app_log", "attaches"],
    ["container:app_server.instance2", "volume:app_server_socket", "attaches"],
  ],
  volumeUses: [["container:web_server", "volume:app_server_socket"]],
};

/** test-map-1.yaml (MAP_DATA_1): default_tag `custom`, links to instances, network_mode to an instance. */
const MAP_1: ExpectedMap = {
  source: { files: ["test-map-1.yaml"], mapName: "map1" },
  name: "map1",
  containers: {
    web_server: {
      name: "map1.web_server",
      // An explicit tag wins over default_tag; the repository prefix still applies.
      image: "registry.example.com/nginx:latest",
      binds: [[`${SITE}/config/nginx`, "/etc/nginx", true]],
      attaches: [["map1.web_log", "/var/log/nginx"]],
      usesVolumes: [["map1.app_server_socket", "/var/lib/app/socket"]],
      // Default alias: the hostname form of the reference (`.` and `_` → `-`).
      links: [
        ["app_server.instance1", "app-server-instance1"],
        ["app_server.instance2", "app-server-instance2"],
      ],
    },
    "app_server.instance1": {
      name: "map1.app_server.instance1",
      image: "registry.example.com/app:custom",
      binds: [
        [`${SITE}/config/app1`, "/var/lib/app/config", true],
        [`${SITE}/data/app1`, "/var/lib/app/data", false],
      ],
      attaches: [
        ["map1.app_log", "/var/lib/app/log"],
        ["map1.app_server_socket", "/var/lib/app/socket"],
      ],
    },
    "app_server.instance2": {
      name: "map1.app_server.instance2",
      image: "registry.example.com/app:custom",
      binds: [
        [`${SITE}/config/app2`, "/var/lib/app/config", true],
        [`${SITE}/data/app2`, "/var/lib/app/data", false],
      ],
      attaches: [
        ["map1.app_log", "/var/lib/app/log"],
        ["map1.app_server_socket", "/var/lib/app/socket"],
      ],
    },
    app_extra: { name: "map1.app_extra", image: "registry.example.com/app_extra:custom" },
  },
  volumes: {
    web_log: { name: "map1.web_log", owner: "web_server", path: "/var/log/nginx" },
    app_log: { name: "map1.app_log", owner: "app_server", path: "/var/lib/app/log" },
    app_server_socket: { name: "map1.app_server_socket", owner: "app_server", path: "/var/lib/app/socket" },
  },
  networks: {},
  edges: [
    ["container:web_server", "container:app_server.instance1", "uses-volume"],
    ["container:web_server", "container:app_server.instance2", "uses-volume"],
    ["container:web_server", "container:app_server.instance1", "links"],
    ["container:web_server", "container:app_server.instance2", "links"],
    ["container:web_server", "volume:web_log", "attaches"],
    ["container:app_server.instance1", "volume:app_log", "attaches"],
    ["container:app_server.instance1", "volume:app_server_socket", "attaches"],
    ["container:app_server.instance2", "volume:app_log", "attaches"],
    ["container:app_server.instance2", "volume:app_server_socket", "attaches"],
    ["container:app_extra", "container:app_server.instance1", "network-mode"],
  ],
  volumeUses: [["container:web_server", "volume:app_server_socket"]],
};

/**
 * test-map-1-networks.yaml (MAP_DATA_1_NEW): network `app` with endpoint links, `uses` with a
 * mount path of its own, attaches with inline paths (web_log and app_server_socket have no entry
 * under `volumes`).
 */
const MAP_1_NETWORKS: ExpectedMap = {
  source: { files: ["test-map-1-networks.yaml"], mapName: "map1n" },
  name: "map1n",
  containers: {
    web_server: {
      name: "map1n.web_server",
      image: "registry.example.com/nginx:latest",
      binds: [[`${SITE}/config/nginx`, "/etc/nginx", true]],
      attaches: [["map1n.web_log", "/var/log/nginx"]],
      usesVolumes: [["map1n.app_server_socket", "/var/lib/app/custom/socket"]],
    },
    "app_server.instance1": {
      name: "map1n.app_server.instance1",
      image: "registry.example.com/app:custom",
      binds: [
        [`${SITE}/config/app1`, "/var/lib/app/config", true],
        [`${SITE}/data/app1`, "/var/lib/app/data", false],
      ],
      attaches: [
        ["map1n.app_log", "/var/lib/app/log"],
        ["map1n.app_server_socket", "/var/lib/app/socket"],
      ],
    },
    "app_server.instance2": {
      name: "map1n.app_server.instance2",
      image: "registry.example.com/app:custom",
      binds: [
        [`${SITE}/config/app2`, "/var/lib/app/config", true],
        [`${SITE}/data/app2`, "/var/lib/app/data", false],
      ],
      attaches: [
        ["map1n.app_log", "/var/lib/app/log"],
        ["map1n.app_server_socket", "/var/lib/app/socket"],
      ],
    },
    app_extra: { name: "map1n.app_extra", image: "registry.example.com/app_extra:custom" },
  },
  volumes: {
    web_log: { name: "map1n.web_log", owner: "web_server", path: "/var/log/nginx" },
    app_log: { name: "map1n.app_log", owner: "app_server", path: "/var/lib/app/log" },
    app_server_socket: { name: "map1n.app_server_socket", owner: "app_server", path: "/var/lib/app/socket" },
  },
  networks: { app: "map1n.app" },
  edges: [
    // `bridge` is a preset network: no item.
    ["container:web_server", "network:app", "network"],
    ["container:web_server", "container:app_server.instance1", "network-link"],
    ["container:web_server", "container:app_server.instance2", "network-link"],
    ["container:web_server", "container:app_server.instance1", "uses-volume"],
    ["container:web_server", "container:app_server.instance2", "uses-volume"],
    ["container:web_server", "volume:web_log", "attaches"],
    ["container:app_server.instance1", "network:app", "network"],
    ["container:app_server.instance1", "volume:app_log", "attaches"],
    ["container:app_server.instance1", "volume:app_server_socket", "attaches"],
    ["container:app_server.instance2", "network:app", "network"],
    ["container:app_server.instance2", "volume:app_log", "attaches"],
    ["container:app_server.instance2", "volume:app_server_socket", "attaches"],
    ["container:app_extra", "network:app", "network"],
  ],
  volumeUses: [["container:web_server", "volume:app_server_socket"]],
};

const SERVER_BINDS: Bind[] = [
  [`${SITE}/app/config`, "/var/lib/app/config", true],
  [`${SITE}/app/data`, "/var/lib/app/data", false],
];
const REDIS_BINDS: Bind[] = [
  [`${SITE}/redis/config`, "/etc/redis", true],
  [`${SITE}/redis/data`, "/var/lib/redis", false],
];
const REDIS_SOCKET_USE: Mount[] = [["map2.redis.redis_socket", "/var/run/redis"]];
const REDIS_ATTACHES: Mount[] = [
  ["map2.redis.redis_socket", "/var/run/redis"],
  ["map2.redis.redis_log", "/var/log/redis"],
];

/**
 * test-map-2.yaml (MAP_DATA_2), with use_attached_parent_name: abstract/extends chains,
 * `uses: redis.redis_socket` (the alias redis_socket attached by redis), instances of redis.
 * abstract_config and abstract_worker are abstract: no containers of theirs.
 */
const MAP_2: ExpectedMap = {
  source: { files: ["test-map-2.yaml"], mapName: "map2" },
  name: "map2",
  containers: {
    svc: { name: "map2.svc", image: "registry.example.com/svc:latest" },
    svc2: { name: "map2.svc2", image: "registry.example.com/svc2:latest" },
    sub_svc: {
      name: "map2.sub_svc",
      image: "registry.example.com/sub_svc:latest",
      links: [["sub_sub_svc", "sub-sub-svc"]],
    },
    sub_sub_svc: { name: "map2.sub_sub_svc", image: "registry.example.com/sub_sub_svc:latest" },
    net_sub_svc: { name: "map2.net_sub_svc", image: "registry.example.com/net_sub_svc:latest" },
    net_svc: { name: "map2.net_svc", image: "registry.example.com/net_svc:latest" },
    server: {
      name: "map2.server",
      // `image: server` comes from abstract_config.
      image: "registry.example.com/server:latest",
      // binds: app_config (abstract_config) + app_data (server), merged by alias.
      binds: SERVER_BINDS,
      // attaches: app_log (abstract_config) + server_log (server).
      attaches: [
        ["map2.server.app_log", "/var/lib/app/log"],
        ["map2.server.server_log", "/var/lib/server/log"],
      ],
      usesVolumes: REDIS_SOCKET_USE,
      // links are unioned: (svc, svc_alias1) from the base, (svc, svc_alias2) from server.
      links: [
        ["svc", "svc_alias1"],
        ["svc", "svc_alias2"],
      ],
    },
    server2: {
      name: "map2.server2",
      image: "registry.example.com/server:latest",
      binds: SERVER_BINDS,
      attaches: [
        ["map2.server2.app_log", "/var/lib/app/log"],
        ["map2.server2.server_log", "/var/lib/server/log"],
      ],
      usesVolumes: REDIS_SOCKET_USE,
      links: [
        ["svc", "svc_alias1"],
        ["svc", "svc_alias2"],
        ["svc2", "svc2"],
      ],
    },
    server3: { name: "map2.server3", image: "registry.example.com/server3:latest" },
    worker: {
      name: "map2.worker",
      image: "registry.example.com/server:latest",
      binds: SERVER_BINDS,
      attaches: [["map2.worker.app_log", "/var/lib/app/log"]],
      usesVolumes: REDIS_SOCKET_USE,
      links: [["svc", "svc_alias1"]],
    },
    worker_q2: {
      name: "map2.worker_q2",
      image: "registry.example.com/server:latest",
      binds: SERVER_BINDS,
      attaches: [["map2.worker_q2.app_log", "/var/lib/app/log"]],
      usesVolumes: REDIS_SOCKET_USE,
      links: [["svc", "svc_alias1"]],
    },
    "redis.queue": {
      name: "map2.redis.queue",
      image: "registry.example.com/redis:latest",
      binds: REDIS_BINDS,
      attaches: REDIS_ATTACHES,
      links: [["sub_svc", "sub-svc"]],
    },
    "redis.cache": {
      name: "map2.redis.cache",
      image: "registry.example.com/redis:latest",
      binds: REDIS_BINDS,
      attaches: REDIS_ATTACHES,
      links: [["sub_svc", "sub-svc"]],
    },
    persistent_one: { name: "map2.persistent_one", image: "registry.example.com/persistent_one:latest" },
  },
  volumes: {
    "server.app_log": { name: "map2.server.app_log", owner: "server", path: "/var/lib/app/log" },
    "server.server_log": { name: "map2.server.server_log", owner: "server", path: "/var/lib/server/log" },
    "server2.app_log": { name: "map2.server2.app_log", owner: "server2", path: "/var/lib/app/log" },
    "server2.server_log": { name: "map2.server2.server_log", owner: "server2", path: "/var/lib/server/log" },
    "worker.app_log": { name: "map2.worker.app_log", owner: "worker", path: "/var/lib/app/log" },
    "worker_q2.app_log": { name: "map2.worker_q2.app_log", owner: "worker_q2", path: "/var/lib/app/log" },
    "redis.redis_socket": { name: "map2.redis.redis_socket", owner: "redis", path: "/var/run/redis" },
    "redis.redis_log": { name: "map2.redis.redis_log", owner: "redis", path: "/var/log/redis" },
  },
  networks: { app_net1: "map2.app_net1", app_net2: "map2.app_net2" },
  edges: [
    ["container:sub_svc", "container:sub_sub_svc", "links"],
    ["container:net_svc", "network:app_net1", "network"],
    ["container:net_svc", "container:net_sub_svc", "network-link"],
    ["container:server", "container:redis.queue", "uses-volume"],
    ["container:server", "container:redis.cache", "uses-volume"],
    ["container:server", "container:svc", "links"],
    ["container:server", "volume:server.app_log", "attaches"],
    ["container:server", "volume:server.server_log", "attaches"],
    ["container:server2", "container:redis.queue", "uses-volume"],
    ["container:server2", "container:redis.cache", "uses-volume"],
    ["container:server2", "container:svc", "links"],
    ["container:server2", "container:svc2", "links"],
    ["container:server2", "volume:server2.app_log", "attaches"],
    ["container:server2", "volume:server2.server_log", "attaches"],
    ["container:server3", "network:app_net1", "network"],
    ["container:server3", "network:app_net2", "network"],
    ["container:worker", "container:redis.queue", "uses-volume"],
    ["container:worker", "container:redis.cache", "uses-volume"],
    ["container:worker", "container:svc", "links"],
    ["container:worker", "volume:worker.app_log", "attaches"],
    ["container:worker_q2", "container:redis.queue", "uses-volume"],
    ["container:worker_q2", "container:redis.cache", "uses-volume"],
    ["container:worker_q2", "container:svc", "links"],
    ["container:worker_q2", "volume:worker_q2.app_log", "attaches"],
    ["container:redis.queue", "container:sub_svc", "links"],
    ["container:redis.queue", "volume:redis.redis_socket", "attaches"],
    ["container:redis.queue", "volume:redis.redis_log", "attaches"],
    ["container:redis.cache", "container:sub_svc", "links"],
    ["container:redis.cache", "volume:redis.redis_socket", "attaches"],
    ["container:redis.cache", "volume:redis.redis_log", "attaches"],
  ],
  volumeUses: [
    ["container:server", "volume:redis.redis_socket"],
    ["container:server2", "volume:redis.redis_socket"],
    ["container:worker", "volume:redis.redis_socket"],
    ["container:worker_q2", "volume:redis.redis_socket"],
  ],
};

/** test-map-3.yaml (MAP_DATA_3): server extends an abstract config with a relative direct bind. */
const MAP_3: ExpectedMap = {
  source: { files: ["test-map-3.yaml"], mapName: "map3" },
  name: "map3",
  containers: {
    server: {
      name: "map3.server",
      image: "registry.example.com/server:latest",
      binds: [[`${SITE}/web/config`, "/var/lib/web/config", true]],
      attaches: [["map3.web_log", "/var/lib/web/log"]],
    },
  },
  volumes: { web_log: { name: "map3.web_log", owner: "server", path: "/var/lib/web/log" } },
  networks: {},
  edges: [["container:server", "volume:web_log", "attaches"]],
  volumeUses: [],
};

const CORPUS_MAPS: Record<string, ExpectedMap> = {
  "seed-nginx-uwsgi.yaml": SEED,
  "docs-example.yaml": DOCS_EXAMPLE,
  "test-map-1.yaml": MAP_1,
  "test-map-1-networks.yaml": MAP_1_NETWORKS,
  "test-map-2.yaml": MAP_2,
  "test-map-3.yaml": MAP_3,
};

/** Files of the corpus that are not full container maps, and where they are checked. */
const OTHER_CORPUS_FILES = [
  "docs-clients.yaml", // a clients file, not a map
  "docs-path-tag-root.yaml", // `!path` fragments, checked in their own describe block
  "docs-path-tag-host.yaml",
];

// ---- comparison helpers --------------------------------------------------------------------------

const sorted = <T>(items: readonly T[]): T[] =>
  [...items].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

const edgeText = ([dependent, dependency, kind]: Edge): string => `${dependent} <- ${dependency} (${kind})`;

function instance(resolved: ResolvedMap, key: string): ContainerInstance {
  const found = resolved.containers.find((c) => c.key === key);
  if (found === undefined) throw new Error(`berth resolved no container \`${key}\``);
  return found;
}

/** The fields the tables describe, in the tables' shape. */
function actualContainer(c: ContainerInstance): Required<ExpectedContainer> {
  return {
    name: c.name,
    image: c.image,
    binds: sorted(c.binds.map((b): Bind => [b.hostPath, b.containerPath, b.readonly])),
    attaches: sorted(c.attaches.map((a): Mount => [a.name, a.path])),
    usesVolumes: sorted(c.usesVolumes.map((u): Mount => [u.name, u.path])),
    usesContainers: sorted(c.usesContainers.map((u) => u.container)),
    links: sorted(c.links.map((l): Link => [l.container, l.alias])),
  };
}

function expectedContainer(e: ExpectedContainer): Required<ExpectedContainer> {
  return {
    name: e.name,
    image: e.image,
    binds: sorted(e.binds ?? []),
    attaches: sorted(e.attaches ?? []),
    usesVolumes: sorted(e.usesVolumes ?? []),
    usesContainers: sorted(e.usesContainers ?? []),
    links: sorted(e.links ?? []),
  };
}

// ---- the corpus ----------------------------------------------------------------------------------

describe("docker-map compatibility corpus", () => {
  it("has a table for every map of the corpus (a new file needs one)", () => {
    const files = readdirSync(CORPUS)
      .filter((f) => f.endsWith(".yaml"))
      .sort();
    expect(files).toEqual([...Object.keys(CORPUS_MAPS), ...OTHER_CORPUS_FILES].sort());
  });

  for (const [file, expected] of Object.entries(CORPUS_MAPS)) {
    describe(file, () => {
      let resolved: ResolvedMap;
      let normalized: PrintedMap;
      let graph: GraphJson;

      beforeAll(async () => {
        normalized = await printedMap(expected.source);
        resolved = normalized["x-berth"].resolved;
        graph = await graphJson(expected.source);
      });

      it(`uses the map name \`${expected.name}\``, () => {
        expect(resolved.name).toBe(expected.name);
      });

      it("has exactly the expected container instances (abstract configs have none)", () => {
        expect(resolved.containers.map((c) => c.key).sort()).toEqual(Object.keys(expected.containers).sort());
      });

      for (const [key, container] of Object.entries(expected.containers)) {
        it(`derives name, image, host binds, attached and used volumes and links of ${key}`, () => {
          expect(actualContainer(instance(resolved, key))).toEqual(expectedContainer(container));
        });
      }

      it("gives each container the hostname form of its name", () => {
        for (const [key, container] of Object.entries(expected.containers)) {
          expect(instance(resolved, key).hostname, key).toBe(container.name.replace(/[._]/g, "-"));
        }
      });

      it("names the attached volumes and their owners and paths", () => {
        const actual = Object.fromEntries(
          resolved.volumes.map((v) => [v.key, { name: v.name, owner: v.owner, path: v.path }]),
        );
        expect(actual).toEqual(expected.volumes);
      });

      it("names the networks", () => {
        expect(Object.fromEntries(resolved.networks.map((n) => [n.key, n.name]))).toEqual(expected.networks);
      });

      it("has graph nodes for exactly the instances, attached volumes and networks", () => {
        const ids = [
          ...Object.keys(expected.containers).map((k) => `container:${k}`),
          ...Object.keys(expected.volumes).map((k) => `volume:${k}`),
          ...Object.keys(expected.networks).map((k) => `network:${k}`),
        ];
        expect(graph.nodes.map((n) => n.id).sort()).toEqual(ids.sort());
      });

      it("has docker-map's dependency items as edges (plus the volume -> user edges of `uses`)", () => {
        const isVolumeUse = (e: GraphJson["edges"][number]) =>
          e.kind === "uses-volume" && e.dependency.startsWith("volume:");
        const actual = graph.edges.filter((e) => !isVolumeUse(e));
        expect(sorted(actual.map((e) => edgeText([e.dependent, e.dependency, e.kind])))).toEqual(
          sorted(expected.edges.map(edgeText)),
        );
        const volumeUses = graph.edges.filter(isVolumeUse).map((e) => [e.dependent, e.dependency]);
        expect(sorted(volumeUses)).toEqual(sorted(expected.volumeUses));
      });

      it("lists only volume -> user edges that docker-map's items imply", () => {
        for (const [dependent, volume] of expected.volumeUses) {
          const attachers = expected.edges
            .filter(([, dependency, kind]) => dependency === volume && kind === "attaches")
            .map(([attacher]) => attacher);
          expect(attachers.length, volume).toBeGreaterThan(0);
          for (const attacher of attachers) {
            expect(expected.edges.map(edgeText), `${dependent} needs ${attacher}`).toContain(
              edgeText([dependent, attacher, "uses-volume"]),
            );
          }
        }
      });
    });
  }
});

// ---- field details per map -----------------------------------------------------------------------

describe("test-map-1.yaml details", () => {
  let resolved: ResolvedMap;
  beforeAll(async () => {
    resolved = (await printedMap(MAP_1.source))["x-berth"].resolved;
  });

  it("shares app_server.instance1's network stack with app_extra (network_mode)", () => {
    expect(instance(resolved, "app_extra").networkMode).toEqual({
      kind: "container",
      container: "app_server.instance1",
    });
  });

  it("publishes web_server's ports and only exposes app_server's 8880", () => {
    expect(instance(resolved, "web_server").ports).toEqual([
      { port: "80/tcp", hostPort: 80, ipv6: false },
      { port: "443/tcp", hostPort: 443, ipv6: false },
    ]);
    expect(instance(resolved, "app_server.instance1").ports).toEqual([{ port: "8880/tcp", ipv6: false }]);
  });

  it("keeps stop_timeout, user and permissions", () => {
    expect(instance(resolved, "web_server").stop_timeout).toBe(5);
    const app = instance(resolved, "app_server.instance2");
    expect(app.user).toBe("2000");
    expect(app.permissions).toBe("u=rwX,g=rX,o=");
  });
});

describe("test-map-1-networks.yaml details", () => {
  let resolved: ResolvedMap;
  beforeAll(async () => {
    resolved = (await printedMap(MAP_1_NETWORKS.source))["x-berth"].resolved;
  });

  it("connects web_server to bridge and to app with the endpoint links and aliases", () => {
    const web = instance(resolved, "web_server");
    expect(
      web.endpoints.map((e) => ({ network: e.network, name: e.name, aliases: e.aliases, links: e.links })),
    ).toEqual([
      { network: "bridge", name: "bridge", aliases: [], links: [] },
      {
        network: "app",
        name: "map1n.app",
        aliases: [],
        links: [
          { container: "app_server.instance1", alias: "i1" },
          { container: "app_server.instance2", alias: "i2" },
        ],
      },
    ]);
    for (const key of ["app_server.instance1", "app_server.instance2", "app_extra"]) {
      expect(
        instance(resolved, key).endpoints.map((e) => [e.network, e.name]),
        key,
      ).toEqual([["app", "map1n.app"]]);
    }
  });

  it("reads the dict health check with its durations (1m, 1000ms, 5s) and prefixes CMD", () => {
    for (const key of ["app_server.instance1", "app_server.instance2"]) {
      expect(instance(resolved, key).healthcheck, key).toEqual({
        test: ["CMD", "curl", "http://localhost/"],
        intervalNs: 60_000_000_000,
        timeoutNs: 1_000_000_000,
        retries: 3,
        startPeriodNs: 5_000_000_000,
      });
    }
  });

  it("keeps stop_signal and stop_timeout", () => {
    const app = instance(resolved, "app_server.instance1");
    expect(app.stop_signal).toBe("SIGTERM");
    expect(app.stop_timeout).toBe(10);
    expect(instance(resolved, "web_server").stop_timeout).toBe(5);
    expect(instance(resolved, "web_server").stop_signal).toBeUndefined();
  });
});

describe("test-map-2.yaml details (extends, create_options, host_config)", () => {
  let printed: PrintedMap;
  let resolved: ResolvedMap;
  beforeAll(async () => {
    printed = await printedMap(MAP_2.source);
    resolved = printed["x-berth"].resolved;
  });

  it("keeps every non-abstract config, and only those, in the normalized map", () => {
    // Every non-abstract config, also those with no settings (`svc: {}`): the printed map is
    // meant to load again as the same map, and sub_svc, server and net_svc refer to them.
    const containers = Object.keys(printed.containers as Record<string, unknown>).sort();
    expect(containers).toEqual(
      [
        "svc",
        "svc2",
        "sub_svc",
        "sub_sub_svc",
        "net_sub_svc",
        "net_svc",
        "server",
        "server2",
        "server3",
        "worker",
        "worker_q2",
        "redis",
        "persistent_one",
      ].sort(),
    );
  });

  it("inherits user and permissions, the later value winning", () => {
    expect(instance(resolved, "server").user).toBe("server_user");
    expect(instance(resolved, "server2").user).toBe("server_user");
    expect(instance(resolved, "worker").user).toBe("app_user");
    expect(instance(resolved, "worker_q2").user).toBe("app_user");
    expect(instance(resolved, "redis.cache").user).toBe("redis");
    for (const key of ["server", "server2", "worker", "worker_q2", "redis.queue"]) {
      expect(instance(resolved, key).permissions, key).toBe("u=rwX,g=rX,o=");
    }
  });

  // docker-map passes create_options {mem_limit: 1g, cpu_shares: 15} to create_container (docker-py
  // moves both into HostConfig, 1g = 1024^3 bytes) and host_config.restart_policy as
  // {Name: always, MaximumRetryCount: 3}. berth holds the limits in host_config and the policy as
  // `restart` (a retry count belongs to `on-failure` only).
  it("merges create_options and host_config along server -> server2", () => {
    for (const key of ["server", "server2"]) {
      const c = instance(resolved, key);
      expect(c.host_config, key).toEqual({ mem_limit: 1073741824, cpu_shares: 15 });
      expect(c.create_options, key).toEqual({});
      expect(c.restart, key).toBe("always");
      expect(c.command, key).toBeUndefined();
      expect(c.entrypoint, key).toBeUndefined();
    }
  });

  it("merges create_options and host_config along abstract_config -> abstract_worker -> worker", () => {
    const worker = instance(resolved, "worker");
    expect(worker.entrypoint).toEqual(["celery"]);
    expect(worker.command).toEqual(["worker", "-A", "MyApp", "-Q", "queue1,queue2"]);
    expect(worker.host_config).toEqual({ mem_limit: 2147483648, cpu_shares: 10 });
    expect(worker.create_options).toEqual({});
    expect(worker.restart).toBe("always");

    const q2 = instance(resolved, "worker_q2");
    expect(q2.entrypoint).toEqual(["celery"]);
    expect(q2.command).toEqual(["worker", "-A", "MyApp", "-Q", "queue2"]);
    expect(q2.host_config).toEqual({ mem_limit: 1073741824, cpu_shares: 30 });
    expect(q2.restart).toBe("always");

    expect(instance(resolved, "redis.queue").restart).toBe("always");
    expect(instance(resolved, "svc").restart).toBeUndefined();
  });

  it("publishes server's 8443 on the `private` interface alias, inherited by server2", () => {
    for (const key of ["server", "server2"]) {
      expect(instance(resolved, key).ports, key).toEqual([
        { port: "8443/tcp", hostPort: 8443, interface: "private", ipv6: false },
      ]);
    }
    expect(instance(resolved, "worker").ports).toEqual([]);
  });

  it("marks only persistent_one persistent", () => {
    const persistent = resolved.containers.filter((c) => c.persistent).map((c) => c.key);
    expect(persistent).toEqual(["persistent_one"]);
  });

  it("resolves group1 and __all__ (no abstract configs)", () => {
    expect(resolved.groups.group1).toEqual(["server", "worker", "worker_q2"]);
    expect([...(resolved.groups.__all__ ?? [])].sort()).toEqual(Object.keys(MAP_2.containers).sort());
  });

  it("reads the endpoints of net_svc and server3 (endpoint links, positional aliases)", () => {
    const endpoints = (key: string) =>
      instance(resolved, key).endpoints.map((e) => ({
        network: e.network,
        name: e.name,
        aliases: e.aliases,
        links: e.links,
      }));
    expect(endpoints("net_svc")).toEqual([
      {
        network: "app_net1",
        name: "map2.app_net1",
        aliases: [],
        links: [{ container: "net_sub_svc", alias: "net-sub-svc" }],
      },
    ]);
    expect(endpoints("server3")).toEqual([
      { network: "app_net1", name: "map2.app_net1", aliases: [], links: [] },
      { network: "app_net2", name: "map2.app_net2", aliases: ["server_x"], links: [] },
    ]);
  });
});

// ---- `!path` -------------------------------------------------------------------------------------

/**
 * `!path` is `os.path.expanduser(os.path.expandvars(v))` on a scalar, on each item of a sequence
 * and on each value (one level) of a mapping: `$VAR` and `${VAR}` are replaced when set and left
 * as they are otherwise, then a leading `~` becomes HOME.
 *
 * Note: docker-map 1.1.1 itself fails on docs-path-tag-host.yaml (its nested `!path` mapping is a
 * dict by the time the outer tag expands its values, and expandvars(dict) raises TypeError). The
 * expectations follow the documented intent: each tagged level expands its own values.
 */
describe("docs-path-tag-root.yaml / docs-path-tag-host.yaml (`!path`)", () => {
  it("expands $SITE_ROOT in host_root", async () => {
    const printed = await printedMap({ files: ["docs-path-tag-root.yaml"], env: { SITE_ROOT: "/srv/site" } });
    expect(printed.host_root).toBe("/srv/site");
  });

  it("expands ~ after the variable (expanduser(expandvars(v)))", async () => {
    const printed = await printedMap({
      files: ["docs-path-tag-root.yaml"],
      env: { SITE_ROOT: "~/site", HOME: "/home/deploy" },
    });
    expect(printed.host_root).toBe("/home/deploy/site");
  });

  it("leaves an unset variable as it is", async () => {
    const printed = await printedMap({ files: ["docs-path-tag-root.yaml"] });
    expect(printed.host_root).toBe("$SITE_ROOT");
  });

  it("expands the values of a tagged mapping, and of a tagged per-instance mapping inside it", async () => {
    const printed = await printedMap({
      files: ["docs-path-tag-host.yaml"],
      env: { CONFIG_PATH: "/etc/site" },
    });
    expect(printed.host).toEqual({
      web_config: "/etc/site/nginx",
      app_config: { instance1: "/etc/site/app1", instance2: "/etc/site/app2" },
    });
  });

  it("leaves unset variables in host paths as they are", async () => {
    const printed = await printedMap({ files: ["docs-path-tag-host.yaml"] });
    expect(printed.host).toEqual({
      web_config: "$CONFIG_PATH/nginx",
      app_config: { instance1: "$CONFIG_PATH/app1", instance2: "$CONFIG_PATH/app2" },
    });
  });

  /**
   * The docs page shows these fragments as parts of one map. berth merges several files in order
   * (a berth feature), so docs-example.yaml + both fragments is that map: host_root and
   * host.app_config come from the fragments, host.app_data from docs-example.yaml. docker-map's
   * rule then gives: relative paths joined to the expanded root (`config/nginx`, `data/app1`),
   * absolute per-instance entries left as they are.
   */
  it("joins host paths to an expanded host_root and keeps expanded absolute entries", async () => {
    const source: MapSource = {
      files: ["docs-example.yaml", "docs-path-tag-host.yaml", "docs-path-tag-root.yaml"],
      mapName: "site",
      env: { SITE_ROOT: "~/site", HOME: "/home/deploy", CONFIG_PATH: "/etc/site" },
    };
    const resolved = (await printedMap(source))["x-berth"].resolved;
    const binds = (key: string) => actualContainer(instance(resolved, key)).binds;
    expect(binds("web_server")).toEqual([["/home/deploy/site/config/nginx", "/etc/nginx", true]]);
    expect(binds("app_server.instance1")).toEqual(
      sorted<Bind>([
        ["/etc/site/app1", "/var/lib/app/config", true],
        ["/home/deploy/site/data/app1", "/var/lib/app/data", false],
      ]),
    );
    expect(binds("app_server.instance2")).toEqual(
      sorted<Bind>([
        ["/etc/site/app2", "/var/lib/app/config", true],
        ["/home/deploy/site/data/app2", "/var/lib/app/data", false],
      ]),
    );
    expect(instance(resolved, "web_server").name).toBe("site.web_server");
  });
});

// ---- rules the corpus does not reach -----------------------------------------------------------

/**
 * Small maps written for this test (in a temporary folder), for rules no corpus map exercises:
 * leading `/` and `/` inside image names, a `default` host entry, absolute direct binds, `uses`
 * and `links` of containers. Each is a map docker-map 1.1.1 loads (its check_integrity passes).
 */
const DERIVED_MAP = `
name: derived
repository: registry.example.com
default_tag: stable
host_root: /srv/root
plain:
  binds: single_logs
tagged:
  image: app:1.2
rooted:
  image: /nginx
rooted_tagged:
  image: /nginx:1.25
slashed:
  image: library/redis
slashed_tagged:
  image: quay.io/org/tool:v2
multi:
  image: worker
  instances: [one, two]
  binds:
    - data
    - /etc/worker: [/opt/worker/etc, ro]
    - /var/cache/worker: cache/worker
consumer:
  uses: multi.two
  links: [multi.one, plain]
sidecar:
  network_mode: plain
  uses: plain
volumes:
  single_logs: /var/log/app
  data: /data
host:
  single_logs:
    default: logs/default
    one: logs/one
  data:
    one: data/one
    two: /abs/data/two
`;

/** docker-map looks a dict up with the instance name; `default` is only for "no instance". */
const MISSING_INSTANCE_MAP = `
name: missing
host_root: /srv/root
multi:
  instances: [one, three]
  binds: data
volumes:
  data: /data
host:
  data:
    default: data/default
    one: data/one
`;

const PATH_TAGS_MAP = `
name: pathtags
host_root: !path ~/site
app:
  binds: [logs, data, cfg]
volumes:
  logs: /var/log/app
  data: /data
  cfg: /etc/app
host: !path
  logs: \${LOG_ROOT}/logs
  data: $DATA_ROOT/data
  cfg: $UNSET_ROOT/cfg
`;

describe("docker-map rules beyond the corpus", () => {
  let folder: string;

  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), "berth-compat-"));
    writeFileSync(join(folder, "derived.yaml"), DERIVED_MAP);
    writeFileSync(join(folder, "missing.yaml"), MISSING_INSTANCE_MAP);
    writeFileSync(join(folder, "pathtags.yaml"), PATH_TAGS_MAP);
  });

  afterAll(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  const DERIVED: ExpectedMap = {
    source: { files: ["derived.yaml"] },
    name: "derived",
    containers: {
      // No `image`: the config name, prefixed, with default_tag.
      plain: {
        name: "derived.plain",
        image: "registry.example.com/plain:stable",
        // No instance: the `default` entry of the per-instance dict.
        binds: [["/srv/root/logs/default", "/var/log/app", false]],
      },
      tagged: { name: "derived.tagged", image: "registry.example.com/app:1.2" },
      // Leading `/`: no repository prefix; the default tag still applies.
      rooted: { name: "derived.rooted", image: "nginx:stable" },
      rooted_tagged: { name: "derived.rooted_tagged", image: "nginx:1.25" },
      // A `/` inside: used as is.
      slashed: { name: "derived.slashed", image: "library/redis:stable" },
      slashed_tagged: { name: "derived.slashed_tagged", image: "quay.io/org/tool:v2" },
      "multi.one": {
        name: "derived.multi.one",
        image: "registry.example.com/worker:stable",
        binds: [
          ["/srv/root/data/one", "/data", false],
          // An absolute host path is not joined to host_root.
          ["/opt/worker/etc", "/etc/worker", true],
          ["/srv/root/cache/worker", "/var/cache/worker", false],
        ],
      },
      "multi.two": {
        name: "derived.multi.two",
        image: "registry.example.com/worker:stable",
        binds: [
          ["/abs/data/two", "/data", false],
          ["/opt/worker/etc", "/etc/worker", true],
          ["/srv/root/cache/worker", "/var/cache/worker", false],
        ],
      },
      consumer: {
        name: "derived.consumer",
        image: "registry.example.com/consumer:stable",
        usesContainers: ["multi.two"],
        links: [
          ["multi.one", "multi-one"],
          ["plain", "plain"],
        ],
      },
      sidecar: {
        name: "derived.sidecar",
        image: "registry.example.com/sidecar:stable",
        usesContainers: ["plain"],
      },
    },
    volumes: {},
    networks: {},
    edges: [
      ["container:consumer", "container:multi.two", "uses-container"],
      ["container:consumer", "container:multi.one", "links"],
      ["container:consumer", "container:plain", "links"],
      ["container:sidecar", "container:plain", "network-mode"],
      ["container:sidecar", "container:plain", "uses-container"],
    ],
    volumeUses: [],
  };

  it("derives images, host paths, uses and links of containers", async () => {
    const resolved = (await printedMap({ ...DERIVED.source, cwd: folder }))["x-berth"].resolved;
    expect(resolved.name).toBe(DERIVED.name);
    expect(resolved.containers.map((c) => c.key).sort()).toEqual(Object.keys(DERIVED.containers).sort());
    for (const [key, container] of Object.entries(DERIVED.containers)) {
      expect(actualContainer(instance(resolved, key)), key).toEqual(expectedContainer(container));
    }
    expect(instance(resolved, "sidecar").networkMode).toEqual({ kind: "container", container: "plain" });
    expect(resolved.volumes).toEqual([]);
  });

  it("has docker-map's dependency items as edges", async () => {
    const graph = await graphJson({ ...DERIVED.source, cwd: folder });
    expect(sorted(graph.edges.map((e) => edgeText([e.dependent, e.dependency, e.kind])))).toEqual(
      sorted(DERIVED.edges.map(edgeText)),
    );
  });

  // docker-map: get_host_path looks the dict up with `instance or 'default'`, and a missing entry
  // raises ValueError("No path defined for instance three."); `default` is never the fallback for
  // an instance. So there is no host path for multi.three, and berth should refuse the map.
  it("refuses a per-instance host dict that lacks an instance (no fallback to `default`)", async () => {
    const result = await berth(["-f", "missing.yaml", "config", "--json"], {}, folder);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/three/);
  });

  it("expands `!path` ($VAR, ${VAR}, ~; unset left as is) before joining to host_root", async () => {
    const resolved = (
      await printedMap({
        files: ["pathtags.yaml"],
        cwd: folder,
        env: { HOME: "/home/deploy", LOG_ROOT: "/logs", DATA_ROOT: "/mnt" },
      })
    )["x-berth"].resolved;
    expect(actualContainer(instance(resolved, "app")).binds).toEqual(
      sorted<Bind>([
        ["/logs/logs", "/var/log/app", false],
        ["/mnt/data", "/data", false],
        // `$UNSET_ROOT/cfg` stays as written, is relative, so it is joined to the root.
        ["/home/deploy/site/$UNSET_ROOT/cfg", "/etc/app", false],
      ]),
    );
  });
});
