import { digest } from "../common/canonical-json.js";
import type { ContextDigest } from "../desired/build-context.js";
import { nodeKey, nodeKind, targetKeys } from "../graph/dependency-graph.js";
import { compareText } from "../common/text.js";
import { containerNode } from "../map/resolve.js";
import type { LoadedMap } from "../load-map.js";
import { DEFAULT_CLIENT } from "../map/model.js";
import type { ObservedState } from "../observe/observed-state.js";
import type { ClientContext } from "../map/clients-file.js";
import { PlanBuilder } from "./plan-builder.js";
import type { StepIndex } from "./step-index.js";
import { PlanContext, PlanError, type NameConflicts } from "./plan-context.js";
import { placeOverlays, refuseOverlayWithoutManager } from "./overlay-networks.js";
import { parseRemoteToken, type RemoteStep } from "./remote-steps.js";
import {
  emptySummary,
  PLAN_FORMAT,
  type Plan,
  type PlanAction,
  type PlanOptions,
  type PlanSummary,
} from "./plan-types.js";
import { planOrphans } from "./orphan-planner.js";
import { planReconcile } from "./reconcile-planner.js";
import { TeardownPlanner } from "./teardown-planner.js";
import { planSwarm, swarmNodesDown, type SwarmDesired } from "./swarm-planner.js";

export interface PlanInput {
  map: LoadedMap;
  observed: ObservedState;
  options: Partial<PlanOptions> & { action: PlanAction };
  /** Per-engine settings (interfaces, hostname suffix); default: one `default` engine. */
  clients?: Record<string, ClientContext>;
  /** A name the map needs held by a foreign container: refused (default) or reported (status). */
  nameConflicts?: NameConflicts;
  /** The contexts of the images the map builds (readBuildContexts), by image reference. */
  builds?: Readonly<Record<string, ContextDigest>>;
  /**
   * The map's Swarm part (reconcile.ts works it out from the clients file): what each swarm
   * manager should run, and the clients whose configs run as services (managers and node
   * clients), which get no container planning.
   */
  swarm?: { managers: SwarmDesired[]; clients: readonly string[] };
}

export const DEFAULT_PLAN_OPTIONS: Omit<PlanOptions, "action"> = {
  targets: [],
  removeOrphans: false,
  removeVolumes: false,
  recreateVolumes: false,
  pull: "missing",
  build: "auto",
  nonrecoverableExitCodes: [-127, -1],
  killSignal: "SIGKILL",
  refresh: "labels",
};

export function defaultClientContext(name: string = DEFAULT_CLIENT): ClientContext {
  return { name, isDefault: name === DEFAULT_CLIENT, interfaces: {}, interfacesIpv6: {} };
}

/**
 * The planner: desired map + observed engines → a Plan of typed steps with reasons. Pure: no I/O,
 * no clock, no randomness; the same input gives the same plan.
 */
/** The plan options alone (callers may pass a wider object): what the plan records and saves. */
export function planOptions(given: Partial<PlanOptions> & { action: PlanAction }): PlanOptions {
  const defaults = DEFAULT_PLAN_OPTIONS;
  return {
    action: given.action,
    targets: given.targets ?? defaults.targets,
    removeOrphans: given.removeOrphans ?? defaults.removeOrphans,
    removeVolumes: given.removeVolumes ?? defaults.removeVolumes,
    recreateVolumes: given.recreateVolumes ?? defaults.recreateVolumes,
    pull: given.pull ?? defaults.pull,
    build: given.build ?? defaults.build,
    nonrecoverableExitCodes: given.nonrecoverableExitCodes ?? defaults.nonrecoverableExitCodes,
    killSignal: given.killSignal ?? defaults.killSignal,
    refresh: given.refresh ?? defaults.refresh,
  };
}

export function plan(input: PlanInput): Plan {
  const options = planOptions(input.options);
  const { resolved, graph } = input.map;
  const builder = new PlanBuilder();
  const unreachable = input.observed.unreachable ?? {};
  refuseOverlayWithoutManager(resolved, input.observed);
  const overlays = placeOverlays(resolved, input.observed, {
    mapName: resolved.name,
    update: options.action === "update",
    recreateVolumes: options.recreateVolumes,
  });
  const blocked = waitingOnUnreachable(input.map, unreachable);
  const selected = targetKeys(resolved, options.targets).filter((key) => !blocked.has(key));
  reportUnreachable(builder, input.map, unreachable, blocked);
  const planned = new Map<string, { ctx: PlanContext; index: StepIndex }>();
  const contexts = new Map<string, PlanContext>();
  const swarmClients = new Set(input.swarm?.clients ?? []);
  for (const client of [...resolved.clients].sort()) {
    if (client in unreachable || swarmClients.has(client)) continue;
    const observed = input.observed.clients[client];
    if (observed === undefined) throw new PlanError(`no observation of engine ${client}`);
    const context = input.clients?.[client] ?? defaultClientContext(client);
    const ctx = new PlanContext(
      resolved,
      graph,
      context,
      observed,
      options,
      builder,
      input.nameConflicts,
      input.builds,
      overlays,
    );
    contexts.set(client, ctx);
    if (options.action === "startup" || options.action === "update") {
      const index = planReconcile(ctx, selected);
      planned.set(client, { ctx, index });
      planOrphans(ctx, options, index);
    } else {
      new TeardownPlanner(ctx).run(selected);
      planOrphans(ctx, options);
    }
  }
  builder.resolveRemote((token) => {
    const ref = parseRemoteToken(token);
    if (ref.kind === "gate") return remoteGate(ref, planned);
    return contexts.get(ref.client)?.sharedSteps(ref.kind, ref.key);
  });
  for (const desired of input.swarm?.managers ?? []) {
    if (desired.manager in unreachable) continue;
    const observed = input.observed.clients[desired.manager];
    if (observed === undefined) throw new PlanError(`no observation of swarm manager ${desired.manager}`);
    planSwarm({ mapName: resolved.name, desired, observed, options, builder, selected: new Set(selected) });
  }
  return {
    format: PLAN_FORMAT,
    map: resolved.name,
    // Worked out when first read: only a saved plan (its JSON) and the check of one need it, and
    // serialising a large map is a noticeable part of a short run.
    get mapDigest() {
      return mapDigest(input.map);
    },
    files: input.map.files,
    options,
    changes: builder.changes,
    steps: builder.steps,
    warnings: builder.warnings,
    observed: builder.observed(),
    summary: summarize(builder),
    ...unanswered(unreachable, swarmNodesDown(input.swarm?.managers ?? [])),
    ...(builder.undone.length === 0 ? {} : { undone: builder.undone }),
  };
}

function unanswered(
  engines: Readonly<Record<string, string>>,
  swarmNodes: Readonly<Record<string, string>>,
): { unreachable?: Record<string, string> } {
  const all = { ...swarmNodes, ...engines };
  return Object.keys(all).length === 0 ? {} : { unreachable: all };
}

/**
 * Containers on reachable engines that wait (`depends_on`, directly or through others) for a
 * container on an engine that did not answer: their start cannot be gated, so they are left as
 * they are. (Other references across engines are refused when the map is loaded.)
 */
function waitingOnUnreachable(map: LoadedMap, unreachable: Readonly<Record<string, string>>): Set<string> {
  const down = map.resolved.containers
    .filter((c) => c.clients.some((client) => client in unreachable))
    .map((c) => containerNode(c.key));
  const out = new Set<string>();
  for (const node of map.graph.closure(down, "reverse")) {
    if (nodeKind(node) !== "container" || down.includes(node)) continue;
    out.add(nodeKey(node));
  }
  return out;
}

/** Says, in the plan's undone work, what is not planned because an engine did not answer. */
function reportUnreachable(
  builder: PlanBuilder,
  map: LoadedMap,
  unreachable: Readonly<Record<string, string>>,
  blocked: ReadonlySet<string>,
): void {
  for (const [client, why] of Object.entries(unreachable).sort(([a], [b]) => compareText(a, b))) {
    const waiting = map.resolved.containers
      .filter((c) => blocked.has(c.key) && c.dependsOn.some((d) => dependsOnClient(map, d.container, client)))
      .map((c) => `\`${c.key}\``);
    builder.leaveUndone({
      client,
      message:
        `engine \`${client}\` did not answer (${why}): nothing was planned or changed on it` +
        (waiting.length > 0
          ? `, nor for ${waiting.join(", ")}, which ${waiting.length === 1 ? "waits" : "wait"} for containers on it`
          : "") +
        "; run again once it answers",
    });
  }
}

function dependsOnClient(map: LoadedMap, key: string, client: string): boolean {
  return map.resolved.containers.some((c) => c.key === key && c.clients.includes(client));
}

/**
 * The step on the dependency's engine that a start on another engine waits for: the dependency's
 * start (`started`), or a health or completion wait after it — one per dependency, shared with
 * the waits of its own engine.
 */
function remoteGate(
  gate: Extract<RemoteStep, { kind: "gate" }>,
  planned: ReadonlyMap<string, { ctx: PlanContext; index: StepIndex }>,
): string | undefined {
  const engine = planned.get(gate.client);
  if (engine === undefined || !engine.ctx.containers.has(gate.key)) return undefined;
  const { ctx, index } = engine;
  const ready = index.get("ready", gate.key);
  if (gate.condition === "started") return ready;
  return index.getOrSet("wait", `${gate.condition}:${gate.key}`, () => {
    const object = ctx.containerRef(gate.key);
    return ctx.builder.add({
      type: gate.condition === "healthy" ? "wait-healthy" : "wait-completed",
      object,
      container: object.name,
      after: [ready],
    });
  });
}

const digests = new WeakMap<object, string>();

/** Digest of the normalized map (once per loaded map: a large map takes a while to serialise). */
function mapDigest(map: LoadedMap): string {
  let found = digests.get(map.normalized);
  if (found === undefined) {
    found = digest(map.normalized, 32);
    digests.set(map.normalized, found);
  }
  return found;
}

function summarize(builder: PlanBuilder): PlanSummary {
  const summary = emptySummary();
  for (const change of builder.changes) {
    switch (change.change) {
      case "create":
      case "recreate":
      case "start":
      case "stop":
      case "remove":
      case "update":
        summary[change.change]++;
        break;
      case "restart":
      case "kill":
      case "reconnect":
      case "rename":
      case "prepare":
      case "pull":
      case "exec":
      case "build":
        summary.other++;
        break;
      case "outdated":
      case "orphan":
      case "skip":
        break;
    }
  }
  return summary;
}
