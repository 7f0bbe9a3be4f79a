import { describe, expect, it } from "vitest";
import { loadMap } from "../../../src/load-map.js";
import type { ClientConfig } from "../../../src/map/clients-file.js";
import { isMapError } from "../../../src/map/map-error.js";

const client = (settings: Partial<ClientConfig> = {}): ClientConfig => ({
  interfaces: {},
  interfaces_ipv6: {},
  ...settings,
});

const CLIENTS: Record<string, ClientConfig> = {
  sw: client({ mode: "swarm", node_label: "berth.test.node" }),
  e4: client({ swarm: "sw" }),
  e5: client({ swarm: "sw" }),
  e2: client({ interfaces: { private: "10.0.0.2" } }),
};

function load(yaml: string, clients: Record<string, ClientConfig> = CLIENTS, mapName = "shop") {
  return loadMap({ files: ["m.yaml"], texts: { "m.yaml": yaml }, mapName, env: {}, clients });
}

/** The problems of a map, as `LINE:COL: message` (the file is always m.yaml). */
function problemsOf(yaml: string, clients?: Record<string, ClientConfig>, mapName?: string): string[] {
  try {
    load(yaml, clients, mapName);
  } catch (err) {
    if (!isMapError(err)) throw err;
    return err.problems.map((p) => `${p.at.line}:${p.at.col}: ${p.message}`);
  }
  return [];
}

describe("a map on a swarm client validates when everything maps", () => {
  it("loads a database, a replicated app, a health gate and a one-shot migration", () => {
    const yaml = `
clients: [sw]
db:
  image: "berth-test/base:1"
  healthcheck: {test: [CMD, "true"]}
  host_config: {mem_limit: 64m, init: true, sysctls: {net.core.somaxconn: "1024"}, cap_add: [NET_ADMIN], ulimits: [{name: nofile, soft: 1024, hard: 2048}]}
app:
  image: "berth-test/base:1"
  instances: [a, b, c]
  exposes: [[8080, 80]]
  links: [db]
  depends_on: {db: healthy, migrate: completed}
migrate: {image: "berth-test/oneshot:1", persistent: true}
`;
    expect(problemsOf(yaml)).toEqual([]);
  });

  it("is not checked for a swarm without a clients file that has one", () => {
    expect(problemsOf(`web: {image: "w:1", host_config: {privileged: true}}\n`, {})).toEqual([]);
  });
});

describe("keys a swarm cannot run are refused where they are written, with why", () => {
  const refused: [string, string, RegExp][] = [
    [
      "network_mode",
      `  network_mode: host\n`,
      /3:17: `network_mode` cannot run on a swarm: a task joins overlay networks only/,
    ],
    [
      "privileged",
      `  host_config: {privileged: true}\n`,
      /3:29: `host_config.privileged` cannot run on a swarm: Swarm does not run privileged tasks/,
    ],
    [
      "devices",
      `  host_config:\n    devices: [/dev/fuse]\n`,
      /4:14: `host_config.devices` cannot run on a swarm: Swarm does not give devices to tasks/,
    ],
    [
      "pid_mode",
      `  host_config: {pid_mode: host}\n`,
      /`host_config.pid_mode` cannot run on a swarm: a task's container spec has no PID mode/,
    ],
    [
      "exec_commands",
      `  exec_commands: [echo hi]\n`,
      /3:18: `exec_commands` cannot run on a swarm: Swarm has no exec/,
    ],
    [
      "build",
      `  build: .\n`,
      /3:10: `build` cannot run on a swarm: an image built here is on this engine only/,
    ],
    ["start_delay", `  start_delay: 5s\n`, /`start_delay` cannot run on a swarm/],
    ["domainname", `  domainname: example.org\n`, /`domainname` cannot run on a swarm/],
    [
      "mac_address",
      `  create_options: {mac_address: "02:42:ac:11:00:09"}\n`,
      /`create_options.mac_address` cannot run on a swarm: Swarm assigns a task's addresses/,
    ],
    [
      "tmpfs option",
      `  host_config: {tmpfs: ["/run:size=1m,noexec"]}\n`,
      /tmpfs `\/run`: option `noexec` cannot be set on a swarm/,
    ],
  ];
  for (const [what, lines, expected] of refused) {
    it(what, () => {
      const problems = problemsOf(`clients: [sw]\nweb:\n${lines}  image: "w:1"\n`);
      expect(problems.join("\n")).toMatch(expected);
    });
  }

  it("refuses the map's default_domain for a config on the swarm, where the config is", () => {
    const yaml = `clients: [sw]\ndefault_domain: example.org\nweb: {image: "w:1"}\n`;
    expect(problemsOf(yaml)).toEqual([
      "3:1: the map's default_domain gives `web` the domain name `example.org`, which a task's container spec has no field for",
    ]);
  });

  it("refuses volumes_from (uses of a container)", () => {
    const yaml = `clients: [sw]\ndata: {image: "d:1"}\nweb:\n  image: "w:1"\n  uses: [data]\n`;
    expect(problemsOf(yaml).join("\n")).toMatch(
      /5:10: `web` uses the volumes of a container \(volumes_from\), which a swarm cannot do/,
    );
  });

  it("refuses a port on a named interface and a fixed address", () => {
    const yaml = `clients: [sw]\nnetworks: {back: {}}\nweb:\n  image: "w:1"\n  exposes: [[8080, 80, private]]\n  networks: {back: {ipv4_address: 10.1.0.5}}\n`;
    const problems = problemsOf(yaml).join("\n");
    expect(problems).toMatch(
      /5:13: port 8080\/tcp of `web` is published on interface `private`, which a swarm cannot do/,
    );
    expect(problems).toMatch(/asks for a fixed address on `back`, which a swarm cannot give/);
  });

  it("refuses a network driver other than overlay and the engine's preset networks", () => {
    const yaml = `clients: [sw]\nnetworks: {mac: {driver: macvlan}}\nweb:\n  image: "w:1"\n  networks: [mac, bridge]\n`;
    const problems = problemsOf(yaml).join("\n");
    expect(problems).toMatch(/network `mac` has driver macvlan; on a swarm it would be an overlay/);
    expect(problems).toMatch(/joins the engine's `bridge` network, which a task cannot/);
  });

  it("lets the same keys through on a plain engine of the same map", () => {
    const yaml = `clients: [sw, e2]\nweb:\n  image: "w:1"\n  clients: [e2]\n  host_config: {privileged: true}\n  network_mode: host\n`;
    expect(problemsOf(yaml)).toEqual([]);
  });
});

describe("references between a swarm and a plain engine", () => {
  it("refuses links and depends_on across, naming both sides", () => {
    const yaml = `clients: [sw, e2]\ndb: {image: "d:1", clients: [e2]}\nweb:\n  image: "w:1"\n  clients: [sw]\n  links: [db]\n  depends_on: [db]\n`;
    const problems = problemsOf(yaml).join("\n");
    expect(problems).toMatch(
      /6:11: `web` links to `db` between a swarm and another engine: `web` runs on the swarm of `sw`, `db` on plain engine `e2`/,
    );
    expect(problems).toMatch(/7:16: `web` depends on `db` between a swarm and another engine/);
  });

  it("allows legacy links on a swarm: they are aliases on the default overlay, not bridge links", () => {
    const yaml = `clients: [sw]\nnetworks: {back: {}}\ndb: {image: "d:1", networks: [back]}\nweb: {image: "w:1", links: [[db, dbhost]]}\n`;
    expect(problemsOf(yaml)).toEqual([]);
  });

  it("allows links between services on different nodes of one swarm", () => {
    const yaml = `clients: [e4, e5]\ndb: {image: "d:1", clients: [e4]}\nweb: {image: "w:1", clients: [e5], links: [db]}\n`;
    expect(problemsOf(yaml)).toEqual([]);
  });

  it("refuses a config placed on a swarm and a plain engine at once", () => {
    const yaml = `clients: [sw, e2]\nweb: {image: "w:1"}\n`;
    expect(problemsOf(yaml).join("\n")).toMatch(/`web` is placed on a swarm and on plain engines \(`e2`\)/);
  });
});

describe("named volumes are node-local", () => {
  it("refuses an attached volume on a config that may run on any node", () => {
    const yaml = `clients: [sw]\nvolumes: {data: {default_path: /data}}\ndb:\n  image: "d:1"\n  attaches: [data]\n`;
    expect(problemsOf(yaml).join("\n")).toMatch(
      /5:14: `db` attaches volume `data`, and a named volume lives on one node/,
    );
  });

  it("accepts it pinned to one node, and refuses a user of it on another", () => {
    const yaml = `clients: [e4, e5]\nvolumes: {data: {default_path: /data}}\ndb:\n  image: "d:1"\n  clients: [e4]\n  attaches: [data]\nbackup:\n  image: "b:1"\n  clients: [e5]\n  uses: [data]\n`;
    expect(problemsOf(yaml).join("\n")).toMatch(
      /10:10: `backup` uses volume `data`, which lives on the node of `db`/,
    );
    expect(problemsOf(yaml.replace("clients: [e5]", "clients: [e4]"))).toEqual([]);
  });
});

describe("service names are DNS labels", () => {
  it("refuses two configs that become one service name", () => {
    const yaml = `clients: [sw]\nweb-api: {image: "w:1"}\nweb_api: {image: "w:1"}\n`;
    expect(problemsOf(yaml).join("\n")).toMatch(
      /`web_api` and `web-api` would both be service `shop-web-api`/,
    );
  });

  it("refuses two networks that become one overlay name, where the second is defined", () => {
    const yaml = `clients: [sw]\nnetworks:\n  back-end: {}\n  back_end: {}\nweb: {image: "w:1", networks: [back-end, back_end]}\n`;
    expect(problemsOf(yaml).join("\n")).toMatch(
      /^4:13: networks `back_end` and `back-end` would both be overlay `shop_back-end` on the swarm/m,
    );
  });

  it("refuses a name longer than 63 characters", () => {
    const yaml = `clients: [sw]\n${"x".repeat(60)}: {image: "w:1"}\n`;
    expect(problemsOf(yaml).join("\n")).toMatch(
      /2:1: the service name of `x+` would be `shop-x+`: 65 characters, a DNS label has at most 63/,
    );
  });
});

describe("published ports on a swarm", () => {
  it("lets the replicas of one service publish one port, and refuses two services on it", () => {
    const one = `clients: [sw]\nweb: {image: "w:1", instances: [a, b], exposes: [[8080, 80]]}\n`;
    expect(problemsOf(one)).toEqual([]);
    const two = `${one}api: {image: "a:1", exposes: [[9090, 80]]}\n`;
    expect(problemsOf(two).join("\n")).toMatch(/host port 80 of `web.a` is already published by `api`/);
  });
});
