import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadMap, type LoadedMap } from "../../../src/load-map.js";
import type { ClientConfig } from "../../../src/map/clients-file.js";
import { isMapError } from "../../../src/map/map-error.js";
import { isSensitiveName } from "../../../src/desired/sensitive.js";
import {
  decodeServiceRecord,
  desiredServices,
  isDnsLabel,
  recordedSalt,
  serviceChanges,
  swarmManagerOf,
} from "../../../src/swarm/swarm.js";
import { MAP_CWD, MAP_ENV, MAP_NAME, toYaml } from "../../helpers/map-arbitraries.js";

/**
 * The generated maps use clients c1, c2, c3 (or the default engine): here c1 is a swarm manager
 * and c2, c3 its nodes, so every generated map with clients lands (partly) on a swarm.
 */
const client = (settings: Partial<ClientConfig> = {}): ClientConfig => ({
  interfaces: {},
  interfaces_ipv6: {},
  ...settings,
});
const CLIENTS: Record<string, ClientConfig> = {
  c1: client({ mode: "swarm", node_label: "node" }),
  c2: client({ swarm: "c1" }),
  c3: client({ swarm: "c1" }),
  default: client(),
};

/** The map, or undefined when the swarm's rules (or others) refuse it — always as a MapError with positions. */
function load(text: string): LoadedMap | undefined {
  try {
    return loadMap({
      files: ["m.yaml"],
      texts: { "m.yaml": text },
      env: MAP_ENV,
      mapName: MAP_NAME,
      cwd: MAP_CWD,
      clients: CLIENTS,
    });
  } catch (err) {
    if (!isMapError(err)) throw err;
    for (const problem of err.problems) {
      expect(problem.at.line).toBeGreaterThan(0);
      expect(problem.message).not.toBe("");
    }
    return undefined;
  }
}

const CONFIG_NAMES = ["db", "app", "web_api", "migrate", "cache"];

/**
 * Maps made of what a swarm runs (the general generator's maps are mostly refused on a swarm):
 * configs on the manager, on nodes or on the plain engine, with instances, environment (secret
 * names among them), networks with aliases, links, depends_on, ports, health checks, limits and
 * `swarm:` settings.
 */
function swarmMapArbitrary(): fc.Arbitrary<{ text: string }> {
  const config = (others: string[]) =>
    fc.record(
      {
        image: fc.constantFrom("berth-test/base:1", "team/app:2"),
        instances: fc.constantFrom([], ["a"], ["a", "b", "c"]),
        clients: fc.constantFrom(["c1"], ["c2"], ["c2", "c3"], ["c3"], ["default"]),
        environment: fc.dictionary(
          fc.constantFrom("MODE", "DB_PASSWORD", "API_TOKEN", "PORT"),
          fc.string({ minLength: 1, maxLength: 8 }),
        ),
        command: fc.constantFrom(undefined, ["sleep", "60"]),
        networks: fc
          .subarray(["back", "front"])
          .map((ns) => Object.fromEntries(ns.map((n) => [n, { aliases: [`${n}-alias`] }]))),
        links: fc.subarray(others, { maxLength: Math.min(2, others.length) }),
        depends_on: fc
          .subarray(others, { maxLength: Math.min(2, others.length) })
          .chain((ds) =>
            fc
              .tuple(
                ...ds.map((d) =>
                  fc.tuple(fc.constant(d), fc.constantFrom("started", "healthy", "completed")),
                ),
              )
              .map((pairs) => Object.fromEntries(pairs)),
          ),
        exposes: fc.constantFrom([], [8080], [[9000, 19000]]),
        healthcheck: fc.constantFrom(undefined, { test: ["CMD", "true"], interval: "1s" }),
        host_config: fc.constantFrom(
          {},
          { mem_limit: "64m", init: true },
          { cap_add: ["NET_ADMIN"], ulimits: [{ name: "nofile", soft: 10, hard: 20 }] },
        ),
        persistent: fc.boolean(),
        swarm: fc.constantFrom(
          undefined,
          { replicas: 2 },
          { secrets: true, update_config: { monitor: "1s", order: "start-first" } },
        ),
      },
      { requiredKeys: ["image", "clients"] },
    );
  return fc
    .integer({ min: 1, max: CONFIG_NAMES.length })
    .chain((n) => {
      const names = CONFIG_NAMES.slice(0, n);
      // References point to earlier configs only: no cycles.
      return fc
        .tuple(...names.map((_, i) => config(names.slice(0, i))))
        .map((configs) => ({ names, configs }));
    })
    .map(({ names, configs }) => {
      const map: Record<string, unknown> = {
        clients: ["c1", "c2", "c3", "default"],
        networks: { back: {}, front: {} },
        sensitive: ["PORT"],
      };
      names.forEach((name, i) => {
        const c = configs[i] as Record<string, unknown>;
        map[name] = Object.fromEntries(
          Object.entries(c).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)),
        );
      });
      return { text: toYaml(map) };
    });
}

const RUNS = { numRuns: 150, interruptAfterTimeLimit: 8_000 };

describe("the Swarm mapping on generated maps (property)", { timeout: 40_000 }, () => {
  it("loads or refuses with positions; every swarm instance is in exactly one service with a unique DNS-label name", () => {
    fc.assert(
      fc.property(swarmMapArbitrary(), (generated) => {
        const map = load(generated.text);
        if (map === undefined) return;
        const services = desiredServices(map.resolved, CLIENTS, { ipvs: false });
        const names = services.map((s) => s.name);
        expect(new Set(names).size).toBe(names.length);
        for (const name of names) expect(isDnsLabel(name)).toBe(true);
        const onSwarm = map.resolved.containers
          .filter((c) => c.clients.some((x) => swarmManagerOf(CLIENTS, x) !== undefined))
          .map((c) => c.key)
          .sort();
        expect(services.flatMap((s) => s.instanceKeys).sort()).toEqual(onSwarm);
        for (const s of services) for (const d of s.dependsOn) expect(names).toContain(d.service);
      }),
      RUNS,
    );
  });

  it("an unchanged map is no change (with the recorded salts), and its records hold no secret in clear", () => {
    fc.assert(
      fc.property(swarmMapArbitrary(), (generated) => {
        const map = load(generated.text);
        if (map === undefined) return;
        const first = desiredServices(map.resolved, CLIENTS);
        const salts = Object.fromEntries(first.map((s) => [s.name, recordedSalt(s.spec.Labels) as string]));
        const again = desiredServices(map.resolved, CLIENTS, { salts });
        again.forEach((service, i) => {
          const before = first[i];
          expect(service.specHash).toBe(before?.specHash);
          expect(serviceChanges(service, before?.spec.Labels ?? {})).toEqual([]);
          const record = decodeServiceRecord(service.spec.Labels);
          for (const entry of record?.spec.TaskTemplate.ContainerSpec.Env ?? []) {
            const [name, value = ""] = entry.split(/=(.*)/s);
            if (isSensitiveName(name as string, map.resolved.sensitive))
              expect(value.startsWith("hmac-sha256:")).toBe(true);
          }
        });
      }),
      RUNS,
    );
  });

  it("a changed environment value is a change naming that variable, on every service", () => {
    fc.assert(
      fc.property(swarmMapArbitrary(), (generated) => {
        const map = load(generated.text);
        if (map === undefined) return;
        const first = desiredServices(map.resolved, CLIENTS);
        const salts = Object.fromEntries(first.map((s) => [s.name, recordedSalt(s.spec.Labels) as string]));
        for (const container of map.resolved.containers)
          container.environment = {
            ...container.environment,
            MODE: `${container.environment.MODE ?? ""}-changed`,
          };
        const changed = desiredServices(map.resolved, CLIENTS, { salts });
        changed.forEach((service, i) => {
          const changes = serviceChanges(service, first[i]?.spec.Labels ?? {});
          expect(changes.map((c) => c.field)).toContain("Env.MODE");
        });
      }),
      RUNS,
    );
  });
});
