import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadMap } from "../../../src/load-map.js";
import { configDrift } from "../../../src/plan/config-drift.js";
import { effectiveConfig } from "../../../src/observe/refresh.js";
import {
  buildContainerSpec,
  containerNameLookup,
  type ContainerSpec,
} from "../../../src/desired/container-spec.js";
import { createBody, extraEndpoints, firstEndpoint, updateBody } from "../../../src/desired/create-body.js";
import { defaultClientContext } from "../../../src/plan/plan.js";
import type { InspectView } from "../../../src/fields/fields.js";
import { mapOf } from "../../helpers/plan-fixtures.js";
import { MAP_CWD, MAP_ENV, MAP_NAME, validMapArbitrary } from "../../helpers/map-arbitraries.js";

/**
 * Issue 14 item 5: with `refresh: full`, what the engine runs is compared with the map over every
 * field of the registry — no difference on a container made from the map (engine and image
 * defaults are not drift), and each change made by hand is seen, with a per-field reason.
 */
const MAP = `
networks:
  back: {}
web:
  image: web:1
  restart: always
  environment: {GREETING: hello, DB_PASSWORD: hunter22}
  command: [sh, -c, "sleep 1000"]
  entrypoint: [/bin/entry]
  labels: {team: core}
  user: "1000"
  working_dir: /srv
  hostname: web-host
  shares: /cache
  binds: [{/data: [/srv/data, ro]}]
  exposes: [[8080, 18080], 9090]
  networks: {back: {aliases: [web-alias]}}
  healthcheck: {test: [CMD, "true"], interval: 1s}
  host_config:
    mem_limit: 64m
    cpu_shares: 512
    cap_add: [NET_ADMIN]
    group_add: [1000]
    log_config: {type: json-file}
    ulimits: [{name: nofile, soft: 1024, hard: 2048}]
  create_options: {tty: true}
`;

const ID = "0123456789ab".padEnd(64, "c");
const NAME = "app.web";

function specOf(map: ReturnType<typeof mapOf>, index = 0): ContainerSpec {
  const container = map.resolved.containers[index];
  if (container === undefined) throw new Error("no container");
  // Generated maps publish ports on these interfaces.
  const client = {
    ...defaultClientContext(),
    interfaces: { eth0: "10.0.0.5", lo: "127.0.0.1" },
    interfacesIpv6: { eth0: "fd00::5", lo: "::1" },
  };
  return buildContainerSpec(container, client, containerNameLookup(map.resolved));
}

/**
 * What the engine answers to an inspect of a container made from a spec, as dockerd 20.10 does:
 * the request's values, plus what the engine and the image add (PATH, image labels, an image
 * volume and exposed port, its own aliases, default limits), the links in its own form, and an
 * anonymous volume berth carried over.
 */
function engineInspect(spec: ContainerSpec): InspectView {
  const body = createBody(spec, {
    labels: { "berth.map": "app" },
    carriedVolumes: [{ name: "f".repeat(64), path: "/anon" }],
  });
  const sent = body.HostConfig as Record<string, unknown>;
  const memory = (sent.Memory as number | undefined) ?? 0;
  const hostConfig: Record<string, unknown> = {
    Memory: 0,
    MemorySwap: memory > 0 && sent.MemorySwap === undefined ? 2 * memory : 0,
    CpuShares: 0,
    CpuQuota: 0,
    CpuPeriod: 0,
    CpusetCpus: "",
    CpusetMems: "",
    BlkioWeight: 0,
    MemoryReservation: 0,
    PidsLimit: null,
    RestartPolicy: { Name: "", MaximumRetryCount: 0 },
    LogConfig: { Type: "json-file", Config: {} },
    ...sent,
    Links: ((sent.Links as string[] | undefined) ?? []).map((link) => {
      const [target, alias] = link.split(":");
      return `/${target}:/${NAME}/${alias}`;
    }),
  };
  const hostname = body.Hostname ?? ID.slice(0, 12);
  const endpoint = (aliases: string[], links: string[], ipam: unknown) => ({
    Aliases: [...aliases, ID.slice(0, 12), hostname],
    Links: links.length === 0 ? null : links,
    IPAMConfig: ipam ?? null,
  });
  const networks: Record<string, unknown> = {};
  const mode = spec.network_mode;
  if (mode === "default" || mode === "bridge")
    networks.bridge = { Aliases: null, Links: null, IPAMConfig: null };
  const first = firstEndpoint(spec);
  for (const [name, e] of [...(first === undefined ? [] : [first]), ...extraEndpoints(spec)]) {
    const ipam =
      e.ipv4_address === null && e.ipv6_address === null && e.link_local_ips.length === 0
        ? null
        : {
            ...(e.ipv4_address === null ? {} : { IPv4Address: e.ipv4_address }),
            ...(e.ipv6_address === null ? {} : { IPv6Address: e.ipv6_address }),
            ...(e.link_local_ips.length === 0 ? {} : { LinkLocalIPs: e.link_local_ips }),
          };
    networks[name] = endpoint(e.aliases, e.links, ipam);
  }
  return {
    Id: ID,
    Name: `/${NAME}`,
    Config: {
      Hostname: hostname,
      Domainname: body.Domainname ?? "",
      User: body.User ?? "",
      Env: [...(body.Env ?? []), "PATH=/usr/local/bin:/usr/bin:/bin"],
      Cmd: body.Cmd ?? ["sh"],
      Entrypoint: body.Entrypoint ?? null,
      Image: body.Image,
      Labels: { ...body.Labels, "org.opencontainers.image.title": "base" },
      Volumes: { ...body.Volumes, "/image-volume": {} },
      WorkingDir: body.WorkingDir ?? "",
      ExposedPorts: { ...body.ExposedPorts, "7777/tcp": {} },
      Tty: body.Tty ?? false,
      OpenStdin: body.OpenStdin ?? false,
      NetworkDisabled: body.NetworkDisabled,
      MacAddress: body.MacAddress,
      StopSignal: body.StopSignal,
      StopTimeout: body.StopTimeout,
      ...(body.Healthcheck === undefined ? {} : { Healthcheck: body.Healthcheck }),
    },
    HostConfig: hostConfig,
    NetworkSettings: { Networks: networks },
  };
}

/** The inspect answer with changes made by hand. */
function changed(spec: ContainerSpec, edit: (inspect: Record<string, Record<string, unknown>>) => void) {
  const inspect = engineInspect(spec) as Record<string, Record<string, unknown>>;
  edit(inspect);
  return effectiveConfig(inspect);
}

const drift = (spec: ContainerSpec, edit: Parameters<typeof changed>[1]) =>
  configDrift(spec, changed(spec, edit), []);

describe("refresh full: no false drift", () => {
  it("finds nothing on a container made from a rich map (engine and image defaults are not compared)", () => {
    const spec = specOf(mapOf(MAP));
    expect(configDrift(spec, effectiveConfig(engineInspect(spec)), [])).toEqual([]);
  });

  it("finds nothing on a container made from any generated map (property)", () => {
    fc.assert(
      fc.property(validMapArbitrary(), (generated) => {
        const map = loadMap({
          files: ["m.yaml"],
          texts: { "m.yaml": generated.text },
          env: MAP_ENV,
          mapName: MAP_NAME,
          cwd: MAP_CWD,
        });
        for (const [index] of map.resolved.containers.entries()) {
          const spec = specOf(map, index);
          expect(configDrift(spec, effectiveConfig(engineInspect(spec)), [])).toEqual([]);
        }
      }),
      {
        numRuns: Number(process.env.BERTH_REFRESH_RUNS ?? 100),
        interruptAfterTimeLimit: Number(process.env.BERTH_REFRESH_MS ?? 8_000),
      },
    );
  }, 60_000);
});

describe("refresh full: drift made by hand", () => {
  const spec = specOf(mapOf(MAP));
  const fields = (found: ReturnType<typeof configDrift>) => found.map((d) => `${d.class} ${d.field}`);

  it("sees limits and a restart policy changed with docker update, as in-place drift in the map's units", () => {
    const found = drift(spec, (i) => {
      Object.assign(i.HostConfig as object, {
        Memory: 128 * 1024 ** 2,
        MemorySwap: 256 * 1024 ** 2,
        RestartPolicy: { Name: "no", MaximumRetryCount: 0 },
      });
    });
    expect(fields(found)).toEqual([
      "in-place restart",
      "in-place host_config.mem_limit",
      "in-place host_config.memswap_limit",
    ]);
    expect(found[1]?.reason.message).toBe("host_config.mem_limit: 128m → 64m (changed outside berth)");
  });

  it("takes no memoryswap (an engine without swap accounting) for the twice-the-memory it would set", () => {
    expect(drift(spec, (i) => Object.assign(i.HostConfig as object, { MemorySwap: -1 }))).toEqual([]);
  });

  it("sees a limit set by hand where the map sets none, which only a new container can undo", () => {
    const found = drift(spec, (i) => Object.assign(i.HostConfig as object, { PidsLimit: 50 }));
    expect(found).toEqual([
      expect.objectContaining({ field: "host_config.pids_limit", unsetByUpdate: true }),
    ]);
  });

  it("sees environment values changed or removed, and masks secrets", () => {
    const found = drift(spec, (i) => {
      i.Config = { ...i.Config, Env: ["GREETING=bye", "DB_PASSWORD=other-secret", "PATH=/bin"] };
    });
    expect(found.map((d) => d.reason.message)).toEqual([
      'environment.GREETING: "bye" → "hello" (changed outside berth)',
      "environment.DB_PASSWORD: changed outside berth",
    ]);
    expect(JSON.stringify(found)).not.toContain("hunter22");
    expect(JSON.stringify(found)).not.toContain("other-secret");
    const removed = drift(spec, (i) => {
      i.Config = { ...i.Config, Env: ["DB_PASSWORD=hunter22"] };
    });
    expect(removed.map((d) => d.reason.message)).toEqual([
      "environment.GREETING: removed outside berth (the map sets it)",
    ]);
  });

  it("sees command, entrypoint, user, working_dir, hostname, labels, health check and options changed", () => {
    const found = drift(spec, (i) => {
      Object.assign(i.Config!, {
        Cmd: ["sh"],
        Entrypoint: null,
        User: "0",
        WorkingDir: "/",
        Hostname: "other",
        Labels: { team: "ops" },
        Healthcheck: { Test: ["NONE"] },
        Tty: false,
      });
      Object.assign(i.HostConfig!, { CapAdd: null, GroupAdd: ["2000"] });
    });
    expect(fields(found).sort()).toEqual(
      [
        "recreate labels.team",
        "recreate command",
        "recreate entrypoint",
        "recreate working_dir",
        "recreate user",
        "recreate hostname",
        "recreate healthcheck",
        "recreate host_config.cap_add",
        "recreate host_config.group_add",
        "recreate create_options.tty",
      ].sort(),
    );
  });

  it("sees binds, volumes, published ports and links changed", () => {
    const found = drift(spec, (i) => {
      Object.assign(i.HostConfig!, {
        Binds: ["/srv/other:/data:ro", "extra-volume:/extra"],
        PortBindings: { "8080/tcp": [{ HostIp: "0.0.0.0", HostPort: "28080" }] },
      });
      Object.assign(i.Config!, { Volumes: null });
    });
    expect(fields(found)).toEqual(["recreate binds", "recreate exposes", "recreate shares", "recreate uses"]);
  });

  it("leaves network endpoints to the reconnect planning (they change without a new container)", () => {
    const found = drift(spec, (i) => {
      (i.NetworkSettings as { Networks: object }).Networks = {};
    });
    expect(found).toEqual([]);
  });
});

describe("update body of the restart policy", () => {
  it('names "no" (the engine reads an empty name in an update as "leave it as it is")', () => {
    const spec = specOf(mapOf("web: {image: web:1}"));
    expect(updateBody(spec, ["restart"]).RestartPolicy).toEqual({ Name: "no" });
    expect(updateBody({ ...spec, restart: "on-failure:3" }, ["restart"]).RestartPolicy).toEqual({
      Name: "on-failure",
      MaximumRetryCount: 3,
    });
  });
});
