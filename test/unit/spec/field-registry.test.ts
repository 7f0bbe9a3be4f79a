import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ContainerCreateBody } from "../../../src/engine/engine-types.js";
import { defaultClientContext } from "../../../src/plan/plan.js";
import { createBody, updateBody } from "../../../src/spec/create-body.js";
import {
  buildContainerSpec,
  containerNameLookup,
  type ContainerSpec,
} from "../../../src/spec/container-spec.js";
import {
  valueAt,
  type ContainerField,
  type DockerTarget,
  type OptionField,
} from "../../../src/spec/fields.js";
import { CONTAINER_FIELDS } from "../../../src/spec/fields-container.js";
import { CREATE_OPTION_FIELDS, HOST_CONFIG_FIELDS } from "../../../src/spec/fields-host-config.js";
import { NETWORK_FIELDS, VOLUME_FIELDS } from "../../../src/spec/fields-objects.js";
import { mapOf } from "../../helpers/plan-fixtures.js";

/**
 * The field registry is the single source of what a map key means: the schema and the registry
 * list the same keys, every entry reaches a Docker request field (or says why it has none), and
 * what the engine reports back reads to the spec value again.
 */

interface SchemaDefinition {
  properties?: Record<string, unknown>;
  anyOf?: { type?: string; properties?: Record<string, unknown> }[];
}
const schema = JSON.parse(
  readFileSync(new URL("../../../schemas/container-map.schema.json", import.meta.url), "utf8"),
) as { $defs: Record<string, SchemaDefinition> };

const propertiesOf = (def: string): string[] => {
  const definition = schema.$defs[def];
  const properties =
    definition?.properties ?? definition?.anyOf?.find((branch) => branch.type === "object")?.properties;
  return Object.keys(properties ?? {}).sort();
};

const containers = CONTAINER_FIELDS as Record<string, ContainerField>;
const hostConfig = HOST_CONFIG_FIELDS as Record<string, OptionField>;
const createOptions = CREATE_OPTION_FIELDS as Record<string, OptionField>;

/** A map that sets every container key that reaches the container, once. */
const RICH_MAP = `
volumes: {data: /var/data, logs: /var/log/app}
networks: {back: {}}
db:
  image: db:1
  attaches: data
app:
  image: app:1
  shares: /cache
  binds: [[/etc/app, /srv/app, ro]]
  attaches: logs
  uses: data
  links: db
  exposes: [[8080, 18080]]
  user: "1000"
  stop_timeout: 5
  stop_signal: SIGINT
  networks: {back: {aliases: [api]}}
  healthcheck: {test: [CMD, "true"], interval: 5s, retries: 3}
  environment: {A: "1"}
  command: run it
  entrypoint: [/bin/sh, -c]
  labels: {team: core}
  working_dir: /srv
  hostname: apphost
  domainname: example.org
  restart: on-failure:3
  host_config: {mem_limit: 64m}
  create_options: {tty: true}
`;

function richSpec(): ContainerSpec {
  const map = mapOf(RICH_MAP, "rich");
  const app = map.resolved.containers.find((c) => c.key === "app");
  if (app === undefined) throw new Error("no app");
  return buildContainerSpec(app, defaultClientContext(), containerNameLookup(map.resolved));
}

/** The create body as `docker inspect` shows it: Config, HostConfig and the endpoints. */
function inspectOf(body: ContainerCreateBody): Record<string, unknown> {
  const { HostConfig, NetworkingConfig, ...config } = body;
  return {
    Config: config,
    HostConfig: HostConfig ?? {},
    NetworkSettings: { Networks: NetworkingConfig?.EndpointsConfig ?? {} },
  };
}

const BERTH_LABELS = { "berth.map": "rich", "berth.spec-hash": "x" };

function dockerPaths(docker: DockerTarget): string[] {
  if ("copy" in docker) return [docker.copy];
  if ("built" in docker) return [...docker.built];
  return [];
}

const isSet = (value: unknown): boolean =>
  value !== null &&
  value !== undefined &&
  !(Array.isArray(value) && value.length === 0) &&
  !(typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0);

describe("the field registry and the schema", () => {
  it.each([
    ["container", containers],
    ["hostConfig", hostConfig],
    ["createOptions", createOptions],
    ["volume", VOLUME_FIELDS],
    ["network", NETWORK_FIELDS],
  ] as const)("$defs/%s: every schema key has an entry, and every entry a schema key", (def, fields) => {
    expect(propertiesOf(def).length).toBeGreaterThan(0);
    expect(Object.keys(fields).sort()).toEqual(propertiesOf(def));
  });

  it("the spec's fields are exactly the container keys with a diff shape", () => {
    const withShape = Object.keys(containers).filter((key) => containers[key]?.diff !== undefined);
    expect(Object.keys(richSpec()).sort()).toEqual(withShape.sort());
  });
});

describe("every registry entry reaches a Docker field", () => {
  it("container keys: each copied or built field is in the create body of a map that sets it", () => {
    const spec = richSpec();
    const body = createBody(spec, { labels: BERTH_LABELS, carriedVolumes: [] });
    for (const [key, entry] of Object.entries(containers)) {
      const paths = dockerPaths(entry.docker);
      if ("none" in entry.docker) {
        expect(entry.docker.none, key).not.toBe("");
        // Nothing of the container depends on it, except volume permissions set by a step.
        if (key !== "permissions") expect(entry.class, key).toBe("ignored");
        continue;
      }
      if ("perKey" in entry.docker) continue; // each key by its own entry, below
      expect(
        paths.some((path) => valueAt(body, path) !== undefined),
        `${key} → ${paths.join(", ")}`,
      ).toBe(true);
    }
  });

  it.each(Object.entries(hostConfig))("host_config.%s reaches its Docker field", (key, entry) => {
    checkOption("host_config", key, entry);
  });

  it.each(Object.entries(createOptions))("create_options.%s reaches its Docker field", (key, entry) => {
    checkOption("create_options", key, entry);
  });

  it("every in-place option has an update name, and its partners name it back", () => {
    for (const [key, entry] of Object.entries(hostConfig)) {
      if (entry.class !== "in-place" || "liftedTo" in entry.docker) continue;
      expect(entry.update, key).toBeDefined();
      for (const partner of entry.sentWith ?? []) {
        expect(hostConfig[partner]?.update, `${key} sent with ${partner}`).toBeDefined();
        expect(hostConfig[partner]?.sentWith, `${partner} sent with ${key}`).toContain(key);
      }
    }
  });
});

function checkOption(table: "host_config" | "create_options", key: string, entry: OptionField): void {
  const docker = entry.docker;
  if ("liftedTo" in docker) {
    const [head, sub] = docker.liftedTo.split(".");
    const target = sub === undefined ? containers[head as string] : hostConfig[sub];
    expect(target, `${key} lifted to ${docker.liftedTo}`).toBeDefined();
    expect("none" in (target as ContainerField).docker, docker.liftedTo).toBe(false);
    return;
  }
  if (!("copy" in docker)) throw new Error(`${table}.${key}: options are copied or lifted`);
  expect(entry.example, `${table}.${key} needs an example`).toBeDefined();
  const spec = { ...richSpec(), host_config: {}, create_options: {}, [table]: { [key]: entry.example } };
  const body = createBody(spec, { labels: {}, carriedVolumes: [] });
  expect(valueAt(body, docker.copy), `${table}.${key} → ${docker.copy}`).toBeDefined();
  // Read back from the inspect shape of that body: the spec value again.
  if ("read" in entry.readBack) expect(entry.readBack.read(inspectOf(body))).toEqual(entry.example);
}

describe("read-back: create body → inspect → spec value", () => {
  it("reads every container field that inspect shows back to the value of the spec", () => {
    const spec = richSpec() as unknown as Record<string, unknown>;
    const inspect = inspectOf(
      createBody(spec as unknown as ContainerSpec, { labels: BERTH_LABELS, carriedVolumes: [] }),
    );
    const read: string[] = [];
    for (const [key, entry] of Object.entries(containers)) {
      if (!("read" in entry.readBack) || !isSet(spec[key])) continue;
      expect(entry.readBack.read(inspect), key).toEqual(spec[key]);
      read.push(key);
    }
    // A spec value of null (the map does not say) is never compared with the engine's default.
    expect(read.length).toBeGreaterThanOrEqual(18);
  });

  it("reads what the engine itself writes: links as /target:/self/alias, restart `no`", () => {
    const details = {
      HostConfig: { Links: ["/rich.db:/rich.app/db"], RestartPolicy: { Name: "no", MaximumRetryCount: 0 } },
    };
    const read = (key: string) => {
      const back = containers[key]?.readBack;
      return back !== undefined && "read" in back ? back.read(details) : undefined;
    };
    expect(read("links")).toEqual(["rich.db:db"]);
    expect(read("restart")).toBe("no");
  });
});

describe("updateBody sends limits with the limits they are checked against", () => {
  const specWith = (host: Record<string, unknown>): ContainerSpec => ({ ...richSpec(), host_config: host });
  const MiB = 1024 ** 2;

  it("memory goes with memoryswap; one the map leaves out is twice the memory, as at create", () => {
    expect(updateBody(specWith({ mem_limit: 512 * MiB }), ["host_config.mem_limit"])).toEqual({
      Memory: 512 * MiB,
      MemorySwap: 1024 * MiB,
    });
    expect(
      updateBody(specWith({ mem_limit: 512 * MiB, memswap_limit: -1 }), ["host_config.mem_limit"]),
    ).toEqual({ Memory: 512 * MiB, MemorySwap: -1 });
    expect(
      updateBody(specWith({ mem_limit: 32 * MiB, memswap_limit: 48 * MiB }), ["host_config.memswap_limit"]),
    ).toEqual({ Memory: 32 * MiB, MemorySwap: 48 * MiB });
  });

  it("CPU quota goes with the period when the map gives one; other limits alone", () => {
    const spec = specWith({ cpu_quota: 50000, cpu_period: 100000, cpu_shares: 512 });
    expect(updateBody(spec, ["host_config.cpu_quota"])).toEqual({ CpuQuota: 50000, CpuPeriod: 100000 });
    expect(updateBody(specWith({ cpu_quota: 50000 }), ["host_config.cpu_quota"])).toEqual({
      CpuQuota: 50000,
    });
    expect(updateBody(spec, ["host_config.cpu_shares", "restart"])).toEqual({
      CpuShares: 512,
      RestartPolicy: { Name: "on-failure", MaximumRetryCount: 3 },
    });
  });
});
