import { digest } from "../common/canonical-json.js";
import { targetKeys } from "../graph/dependency-graph.js";
import type { LoadedMap } from "../map/load-map.js";
import { DEFAULT_CLIENT } from "../map/model.js";
import type { ObservedContainer, ObservedState } from "../observe/observed-state.js";
import type { ClientContext } from "../spec/container-spec.js";
import { PlanBuilder } from "./plan-builder.js";
import { PlanContext, PlanError } from "./plan-context.js";
import {
  emptySummary,
  PLAN_FORMAT,
  type ObjectRef,
  type Plan,
  type PlanAction,
  type PlanOptions,
  type PlanSummary,
} from "./plan-types.js";
import { ReconcilePlanner } from "./reconcile-planner.js";
import { TeardownPlanner } from "./teardown-planner.js";

export interface PlanInput {
  map: LoadedMap;
  observed: ObservedState;
  options: Partial<PlanOptions> & { action: PlanAction };
  /** Per-engine settings (interfaces, hostname suffix); default: one `default` engine. */
  clients?: Record<string, ClientContext>;
}

export const DEFAULT_PLAN_OPTIONS: Omit<PlanOptions, "action"> = {
  targets: [],
  removeOrphans: false,
  removeVolumes: false,
  recreateVolumes: false,
  pull: "missing",
  nonrecoverableExitCodes: [-127, -1],
  killSignal: "SIGKILL",
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
    nonrecoverableExitCodes: given.nonrecoverableExitCodes ?? defaults.nonrecoverableExitCodes,
    killSignal: given.killSignal ?? defaults.killSignal,
  };
}

export function plan(input: PlanInput): Plan {
  const options = planOptions(input.options);
  const { resolved, graph } = input.map;
  const builder = new PlanBuilder();
  const selected = targetKeys(resolved, options.targets);
  for (const client of [...resolved.clients].sort()) {
    const observed = input.observed.clients[client];
    if (observed === undefined) throw new PlanError(`no observation of engine ${client}`);
    const context = input.clients?.[client] ?? defaultClientContext(client);
    const ctx = new PlanContext(resolved, graph, context, observed, options, builder);
    if (options.action === "startup" || options.action === "update") {
      new ReconcilePlanner(ctx).run(selected);
    } else {
      new TeardownPlanner(ctx).run(selected);
    }
    planOrphans(ctx, options);
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
  };
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

/**
 * Objects with the map's label that the map no longer has. Listed always; removed with
 * --remove-orphans (volumes only with --volumes too, as they hold data).
 */
function planOrphans(ctx: PlanContext, options: PlanOptions): void {
  if (options.targets.length > 0) return;
  const builder = ctx.builder;
  const client = ctx.client.name;
  const desiredNames = new Set([...ctx.containers.values()].map((c) => c.name));
  const remove =
    options.removeOrphans &&
    (options.action === "update" || options.action === "startup" || options.action === "shutdown");
  for (const container of ctx.ours()) {
    const target = container.replaces ?? container.name;
    if (desiredNames.has(target)) continue;
    const ref: ObjectRef = { kind: "container", name: container.name, client };
    if (container.key !== undefined) ref.key = container.key;
    builder.fingerprint({
      object: ref,
      id: container.id,
      state: container.state,
      specHash: container.specHash ?? null,
    });
    if (!remove) {
      builder.change(ref, "orphan", [
        { message: "has the map's label but is not in the map (--remove-orphans removes it)" },
      ]);
      continue;
    }
    const running =
      container.state === "running" || container.state === "restarting" || container.state === "paused";
    const stopped = running
      ? builder.add({
          type: "stop-container",
          object: ref,
          container: container.id,
          signal: null,
          timeoutSeconds: null,
        })
      : undefined;
    const removed = builder.add({
      type: "remove-container",
      object: ref,
      container: container.id,
      removeVolumes: options.removeVolumes,
      force: false,
      after: [stopped],
    });
    builder.change(ref, "remove", [{ message: "orphan: not in the map (--remove-orphans)" }]);
    if (options.removeVolumes) removeCarriedVolumes(ctx, container, removed);
  }
  const networkNames = new Set([...ctx.networks.values()].map((n) => n.name));
  for (const network of ctx.observed.networks) {
    if (network.mapName !== ctx.mapName || networkNames.has(network.name)) continue;
    const ref: ObjectRef = { kind: "network", name: network.name, client };
    builder.fingerprint({ object: ref, id: network.id });
    if (!remove) {
      builder.change(ref, "orphan", [
        { message: "has the map's label but is not in the map (--remove-orphans removes it)" },
      ]);
      continue;
    }
    const removals = builder.steps.filter((s) => s.type === "remove-container").map((s) => s.id);
    builder.add({
      type: "remove-network",
      object: ref,
      networkId: network.id,
      ifUnused: true,
      after: removals,
    });
    builder.change(ref, "remove", [{ message: "orphan: not in the map (--remove-orphans)" }]);
  }
  const volumeNames = new Set([...ctx.volumes.values()].map((v) => v.name));
  for (const volume of ctx.observed.volumes) {
    if (volume.mapName !== ctx.mapName || volumeNames.has(volume.name)) continue;
    const ref: ObjectRef = { kind: "volume", name: volume.name, client };
    builder.fingerprint({ object: ref, id: volume.name });
    if (!(remove && options.removeVolumes)) {
      builder.change(ref, "orphan", [
        {
          message:
            "has the map's label but is not in the map (--remove-orphans --volumes removes it and its data)",
        },
      ]);
      continue;
    }
    const removals = builder.steps.filter((s) => s.type === "remove-container").map((s) => s.id);
    builder.add({ type: "remove-volume", object: ref, after: removals });
    builder.change(ref, "remove", [{ message: "orphan: not in the map (--remove-orphans --volumes)" }]);
  }
}

/**
 * Anonymous volumes mounted by name (carried over by a recreate) survive the engine's `v=1`;
 * with --volumes they go once the container holding them is removed and nothing else mounts them.
 */
function removeCarriedVolumes(ctx: PlanContext, container: ObservedContainer, removal: string): void {
  for (const mount of container.mounts) {
    if (mount.type !== "volume" || mount.name === null || !/^[0-9a-f]{64}$/.test(mount.name)) continue;
    const name = mount.name;
    if (ctx.mountersOf(name).some((c) => c.id !== container.id)) continue;
    const ref: ObjectRef = { kind: "volume", name, client: ctx.client.name };
    ctx.builder.fingerprint({ object: ref, id: name });
    ctx.builder.add({ type: "remove-volume", object: ref, after: [removal] });
  }
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
