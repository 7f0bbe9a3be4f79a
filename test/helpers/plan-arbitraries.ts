/**
 * fast-check arbitraries for planner properties: random valid, acyclic maps (as a small model
 * that is also the test's oracle of the dependencies) and random drift of a deployed world.
 *
 * The model keeps to maps an engine can run: references point only at earlier configs (acyclic);
 * a container sharing another's network (network_mode) has no links and no networks of its own,
 * and its target is not itself in another's network; a job (the target of `depends_on:
 * completed`, it exits) is only ever depended on; a persistent container has no dependents (a
 * stopped one is left stopped, so nothing may need it running); a `healthy` target has a health
 * check.
 */
import fc from "fast-check";
import type { LoadedMap } from "../../src/load-map.js";
import { expect } from "vitest";
import { deployed, mapOf, planWorld, stepSummary } from "./plan-fixtures.js";
import { applyPlan, engineOf, registryImageId, type SimulatedWorld } from "./simulated-engine.js";

export const IMAGES = ["img-a:1", "img-b:1", "img-c:1"] as const;
export const NETWORKS = ["n1", "n2"] as const;

export type DependencyKind = "links" | "uses" | "network_mode" | "depends_on";
export type Condition = "started" | "healthy" | "completed";

export interface ModelDependency {
  /** Index of the config depended on (always smaller than the dependent's). */
  target: number;
  kind: DependencyKind;
  condition: Condition;
}

export interface ModelConfig {
  name: string;
  image: (typeof IMAGES)[number];
  instances: string[];
  foo: string;
  /** DB_PASSWORD (matches the built-in pattern) and LISTED (named in the map's `sensitive`). */
  password: string | undefined;
  listed: string | undefined;
  dependencies: ModelDependency[];
  attaches: boolean;
  /** Indexes of configs whose attached volume this one uses. */
  usesVolumes: number[];
  networks: (typeof NETWORKS)[number][];
  shares: boolean;
  execs: boolean;
  /** host_config.mem_limit (in place when added or changed). */
  memLimit: "64m" | "128m" | undefined;
  /** restart policy (in place). */
  restart: "unless-stopped" | "always" | undefined;
  persistent: boolean;
  healthcheck: boolean;
  job: boolean;
}

export interface MapModel {
  configs: ModelConfig[];
}

/** A secret value that occurs nowhere else in a map or a plan. */
const secretArb = fc.integer({ min: 100000, max: 999999 }).map((n) => `Secr3t-${n}`);

const rawConfigArb = fc.record({
  image: fc.constantFrom(...IMAGES),
  instances: fc.boolean().map((b) => (b ? ["1", "2"] : [])),
  foo: fc.constantFrom("a", "b", "c"),
  password: fc.option(secretArb, { nil: undefined }),
  listed: fc.option(secretArb, { nil: undefined }),
  dependencies: fc.array(
    fc.record({
      target: fc.nat({ max: 99 }),
      kind: fc.constantFrom<DependencyKind>("links", "uses", "network_mode", "depends_on"),
      condition: fc.constantFrom<Condition>("started", "healthy", "completed"),
    }),
    { maxLength: 3 },
  ),
  attaches: fc.boolean(),
  usesVolumes: fc.array(fc.nat({ max: 99 }), { maxLength: 2 }),
  networks: fc.subarray([...NETWORKS]),
  shares: fc.boolean(),
  execs: fc.boolean(),
  memLimit: fc.constantFrom(undefined, "64m", "128m"),
  restart: fc.constantFrom(undefined, "unless-stopped", "always"),
  persistent: fc.boolean(),
  job: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
});

type RawConfig = typeof rawConfigArb extends fc.Arbitrary<infer T> ? T : never;

/** Random valid maps of 1..maxConfigs configs. */
export function mapModelArb(maxConfigs = 6): fc.Arbitrary<MapModel> {
  return fc.array(rawConfigArb, { minLength: 1, maxLength: maxConfigs }).map(fixUp);
}

function fixUp(raws: RawConfig[]): MapModel {
  const configs: ModelConfig[] = raws.map((raw, i) => ({
    name: `c${i}`,
    image: raw.image,
    instances: raw.instances,
    foo: raw.foo,
    password: raw.password,
    listed: raw.listed,
    dependencies: [],
    attaches: raw.attaches,
    usesVolumes: [],
    networks: [...raw.networks],
    shares: raw.shares,
    execs: raw.execs,
    memLimit: raw.memLimit,
    restart: raw.restart,
    persistent: false,
    healthcheck: false,
    job: raw.job,
  }));
  const sharesNetwork = new Set<number>();
  raws.forEach((raw, i) => {
    const config = configs[i] as ModelConfig;
    if (i === 0) return;
    for (const dep of raw.dependencies) {
      const target = dep.target % i;
      const targetConfig = configs[target] as ModelConfig;
      let kind = dep.kind;
      let condition = dep.condition;
      // A job exits: only depends_on may point at it.
      if (targetConfig.job && kind !== "depends_on") kind = "depends_on";
      if (kind === "network_mode") {
        const mine = config.dependencies.some((d) => d.kind === "network_mode");
        if (mine || sharesNetwork.has(target) || config.dependencies.some((d) => d.kind === "links"))
          kind = "depends_on";
      }
      // Legacy links neither from nor to a container that shares another's network.
      if (kind === "links" && (sharesNetwork.has(i) || sharesNetwork.has(target))) kind = "depends_on";
      // The engine refuses a legacy link from the default bridge to a container not on it.
      const onBridge = (networks: readonly string[]) => networks.length === 0 || networks.includes("bridge");
      if (
        kind === "links" &&
        (config.networks[0] ?? "bridge") === "bridge" &&
        !onBridge(targetConfig.networks)
      )
        kind = "depends_on";
      // Only a job is waited for to complete, and a job is not waited for to be healthy.
      if (kind !== "depends_on") condition = "started";
      else if (targetConfig.job && condition === "healthy") condition = "completed";
      else if (!targetConfig.job && condition === "completed") condition = "started";
      if (config.dependencies.some((d) => d.target === target && d.kind === kind)) continue;
      if (kind === "network_mode") {
        sharesNetwork.add(i);
        config.networks = [];
      }
      config.dependencies.push({ target, kind, condition });
      if (kind === "depends_on" && condition === "healthy") targetConfig.healthcheck = true;
    }
    for (const index of raw.usesVolumes) {
      const owner = index % i;
      if ((configs[owner] as ModelConfig).attaches && !config.usesVolumes.includes(owner))
        config.usesVolumes.push(owner);
    }
  });
  const dependedOn = new Set(
    configs.flatMap((c) => [...c.dependencies.map((d) => d.target), ...c.usesVolumes]),
  );
  raws.forEach((raw, i) => {
    const config = configs[i] as ModelConfig;
    config.persistent = raw.persistent && !config.job && !dependedOn.has(i);
  });
  return { configs };
}

/** The map's text: JSON, which is YAML too (quick to write, and the loader reads it as any map). */
export function mapYaml(model: MapModel): string {
  const volumes: Record<string, string> = {};
  const doc: Record<string, unknown> = {
    sensitive: ["LISTED"],
    networks: Object.fromEntries(NETWORKS.map((n) => [n, {}])),
  };
  model.configs.forEach((config, i) => {
    const environment: Record<string, string> = { FOO: config.foo };
    if (config.password !== undefined) environment.DB_PASSWORD = config.password;
    if (config.listed !== undefined) environment.LISTED = config.listed;
    const entry: Record<string, unknown> = { image: config.image, environment };
    if (config.instances.length > 0) entry.instances = config.instances;
    const ref = (target: number) => (model.configs[target] as ModelConfig).name;
    const single = (target: number) => {
      const t = model.configs[target] as ModelConfig;
      return t.instances.length > 0 ? `${t.name}.${t.instances[0]}` : t.name;
    };
    const links = config.dependencies.filter((d) => d.kind === "links").map((d) => ref(d.target));
    if (links.length > 0) entry.links = links;
    const uses = [
      ...config.dependencies.filter((d) => d.kind === "uses").map((d) => ref(d.target)),
      ...config.usesVolumes.map((owner) => `v${owner}`),
    ];
    if (uses.length > 0) entry.uses = uses;
    const mode = config.dependencies.find((d) => d.kind === "network_mode");
    if (mode !== undefined) entry.network_mode = single(mode.target);
    const dependsOn = config.dependencies.filter((d) => d.kind === "depends_on");
    if (dependsOn.length > 0)
      entry.depends_on = Object.fromEntries(
        dependsOn.map((d) => [ref(d.target), { condition: d.condition }]),
      );
    if (config.attaches) {
      volumes[`v${i}`] = `/vol${i}`;
      entry.attaches = `v${i}`;
    }
    if (config.networks.length > 0) entry.networks = config.networks;
    if (config.shares) entry.shares = `/shared${i}`;
    if (config.execs) entry.exec_commands = [`echo ${config.name}`, [`init ${config.name}`, null, "initial"]];
    if (config.memLimit !== undefined) entry.host_config = { mem_limit: config.memLimit };
    if (config.restart !== undefined) entry.restart = config.restart;
    if (config.persistent) entry.persistent = true;
    if (config.healthcheck) entry.healthcheck = ["true"];
    doc[config.name] = entry;
  });
  doc.volumes = volumes;
  return JSON.stringify(doc, null, 1);
}

const loaded = new Map<string, LoadedMap>();

/** The model's map, loaded (cached by text: the planner does not change a loaded map). */
export function loadModel(model: MapModel): LoadedMap {
  const key = JSON.stringify(model);
  let map = loaded.get(key);
  if (map === undefined) {
    map = mapOf(mapYaml(model));
    if (loaded.size > 500) loaded.clear();
    loaded.set(key, map);
  }
  return map;
}

/** Instance keys of a config. */
export function instanceKeys(config: ModelConfig): string[] {
  return config.instances.length === 0 ? [config.name] : config.instances.map((i) => `${config.name}.${i}`);
}

export interface ModelEdge {
  dependency: string;
  dependent: string;
  kind: DependencyKind | "uses-volume";
  condition: Condition;
}

/** Instance-level dependency edges, derived from the model (not from berth's graph). */
export function modelEdges(model: MapModel): ModelEdge[] {
  const out: ModelEdge[] = [];
  for (const config of model.configs) {
    for (const dep of config.dependencies) {
      const target = model.configs[dep.target] as ModelConfig;
      const targets = dep.kind === "network_mode" ? instanceKeys(target).slice(0, 1) : instanceKeys(target);
      for (const dependency of targets)
        for (const dependent of instanceKeys(config))
          out.push({ dependency, dependent, kind: dep.kind, condition: dep.condition });
    }
    for (const owner of config.usesVolumes) {
      for (const dependency of instanceKeys(model.configs[owner] as ModelConfig))
        for (const dependent of instanceKeys(config))
          out.push({ dependency, dependent, kind: "uses-volume", condition: "started" });
    }
  }
  return out;
}

/** Edges after which a dependent holds a reference to its dependency's id. */
export const STALE_KINDS: ReadonlySet<ModelEdge["kind"]> = new Set(["links", "uses", "network_mode"]);

/** Every secret value of a model. */
export function secretsOf(model: MapModel): string[] {
  return model.configs.flatMap((c) => [c.password, c.listed]).filter((s): s is string => s !== undefined);
}

// ---- drift ----------------------------------------------------------------------------------------

export type ContainerDrift = "none" | "removed" | "stopped" | "killed" | "created";

export interface Drift {
  /** By position in the list of instance keys (wraps around). */
  containers: ContainerDrift[];
  /** Configs whose FOO changes in the map, by index (wraps around). */
  changedFoo: number[];
  /** Configs whose secrets change. */
  changedSecret: number[];
  /** Images re-tagged to a new id. */
  retagged: (typeof IMAGES)[number][];
  /** Configs whose limit or restart policy changes in the map (fields changed in place). */
  changedInPlace: number[];
}

/** A seed for the simulated engine's choices (ids, timing) in a property run. */
export const seedArb = fc.integer({ min: 1, max: 2 ** 30 });

export const driftArb: fc.Arbitrary<Drift> = fc.record({
  containers: fc.array(
    fc.constantFrom<ContainerDrift>("none", "none", "none", "removed", "stopped", "killed", "created"),
    { maxLength: 12 },
  ),
  changedFoo: fc.array(fc.nat({ max: 99 }), { maxLength: 3 }),
  changedSecret: fc.array(fc.nat({ max: 99 }), { maxLength: 2 }),
  retagged: fc.subarray([...IMAGES], { maxLength: 2 }),
  changedInPlace: fc.array(fc.nat({ max: 99 }), { maxLength: 3 }),
});

export interface Drifted {
  /** The map after the drift (changed values). */
  model: MapModel;
  /** Instance keys whose container was removed. */
  removed: string[];
  /** Instance keys whose own desired state differs (env or image): recreated unless removed. */
  changed: string[];
}

/** Applies drift to a deployed world (in place) and returns the changed map model. */
export function applyDrift(model: MapModel, world: SimulatedWorld, drift: Drift): Drifted {
  const engine = engineOf(world);
  const keys = model.configs.flatMap(instanceKeys);
  const removed: string[] = [];
  keys.forEach((key, index) => {
    const what = drift.containers[index] ?? "none";
    const name = `app.${key}`;
    if (engine.find(name) === undefined) return;
    switch (what) {
      case "none":
        break;
      case "removed":
        engine.removeContainer(name, { force: true });
        removed.push(key);
        break;
      case "stopped":
        engine.stopContainer(name, 0);
        break;
      case "killed":
        engine.stopContainer(name, 137);
        break;
      case "created": {
        const container = engine.named(name);
        if (container.state === "running") container.state = "created";
        break;
      }
    }
  });
  const next: MapModel = structuredClone(model);
  const changedConfigs = new Set<number>();
  for (const index of drift.changedFoo) {
    const config = next.configs[index % next.configs.length] as ModelConfig;
    config.foo = `${config.foo}-changed`;
    changedConfigs.add(index % next.configs.length);
  }
  for (const index of drift.changedSecret) {
    const config = next.configs[index % next.configs.length] as ModelConfig;
    if (config.password === undefined && config.listed === undefined) continue;
    if (config.password !== undefined) config.password = `${config.password}x`;
    if (config.listed !== undefined) config.listed = `${config.listed}y`;
    changedConfigs.add(index % next.configs.length);
  }
  // In-place changes: a limit or restart policy added or changed (never removed: that recreates).
  for (const index of drift.changedInPlace) {
    const config = next.configs[index % next.configs.length] as ModelConfig;
    if (index % 2 === 0) config.memLimit = config.memLimit === "64m" ? "128m" : "64m";
    else config.restart = config.restart === "always" ? "unless-stopped" : "always";
  }
  for (const image of drift.retagged) {
    engine.tagImage(image, registryImageId(image, 2));
    next.configs.forEach((c, i) => {
      if (c.image === image) changedConfigs.add(i);
    });
  }
  const changed = [...changedConfigs].flatMap((i) => instanceKeys(next.configs[i] as ModelConfig));
  return { model: next, removed, changed };
}

/** The closure of `seeds` along the model's edges of the given kinds (dependency → dependent). */
export function closure(
  edges: readonly ModelEdge[],
  seeds: Iterable<string>,
  kinds: ReadonlySet<string>,
): Set<string> {
  const out = new Set(seeds);
  const stack = [...out];
  while (stack.length > 0) {
    const node = stack.pop() as string;
    for (const edge of edges) {
      if (edge.dependency !== node || !kinds.has(edge.kind) || out.has(edge.dependent)) continue;
      out.add(edge.dependent);
      stack.push(edge.dependent);
    }
  }
  return out;
}

/** Differences between a converged engine and the model (empty when the engine runs the map). */
export function engineMismatches(model: MapModel, world: SimulatedWorld): string[] {
  const engine = engineOf(world);
  const out: string[] = [];
  const bytes = { "64m": 64 * 1024 * 1024, "128m": 128 * 1024 * 1024 } as const;
  const jobs = new Set(
    model.configs.flatMap((c) =>
      c.dependencies
        .filter((d) => d.kind === "depends_on" && d.condition === "completed")
        .map((d) => d.target),
    ),
  );
  model.configs.forEach((config, index) => {
    for (const key of instanceKeys(config)) {
      const container = engine.find(`app.${key}`);
      if (container === undefined) {
        out.push(`${key}: missing`);
        continue;
      }
      const stoppedOk =
        container.state === "exited" && (config.persistent || (jobs.has(index) && container.exitCode === 0));
      if (container.state !== "running" && !stoppedOk)
        out.push(`${key}: ${container.state} (${container.exitCode})`);
      const memory = config.memLimit === undefined ? undefined : bytes[config.memLimit];
      if (container.limits.Memory !== memory)
        out.push(`${key}: Memory ${String(container.limits.Memory)}, map ${memory}`);
      if (container.restartPolicy.Name !== (config.restart ?? ""))
        out.push(`${key}: restart policy ${container.restartPolicy.Name}, map ${config.restart ?? "none"}`);
      if (!(container.body?.Env ?? []).includes(`FOO=${config.foo}`))
        out.push(`${key}: FOO is not ${config.foo}`);
      if (container.imageId !== engine.images[config.image]) out.push(`${key}: runs an old image`);
    }
  });
  const expected = new Set(model.configs.flatMap(instanceKeys).map((k) => `app.${k}`));
  // The map's state record (what berth changed in place) is berth's own, not a container of the map.
  for (const container of engine.containers)
    if (!expected.has(container.name) && container.name !== "berth-state.app")
      out.push(`${container.name}: not in the map`);
  return out.sort();
}

/** Drifts a converged world, plans, applies; checks the result converged; returns it. */
export async function driftAndConverge(
  model: MapModel,
  world: SimulatedWorld,
  drift: Drift,
  seed: number,
): Promise<{ model: MapModel; world: SimulatedWorld }> {
  const drifted = applyDrift(model, world, drift);
  const map = loadModel(drifted.model);
  const made = await planWorld(map, world);
  const after = (await applyPlan(world, made, map, { order: seed })).world;
  expect(engineOf(after).staleReferences()).toEqual([]);
  expect(stepSummary(await planWorld(map, after))).toEqual([]);
  expect(engineMismatches(drifted.model, after)).toEqual([]);
  return { model: drifted.model, world: after };
}

/** A deployed world, drifted: the map after the drift and the plan (update) against it. */
export async function driftedPlan(model: MapModel, drift: Drift, seed: number) {
  const world = await deployed(loadModel(model), seed);
  const drifted = applyDrift(model, world, drift);
  const map = loadModel(drifted.model);
  const made = await planWorld(map, world);
  return { world, drifted, map, made };
}
