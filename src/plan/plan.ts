import { digest } from "../common/canonical-json.js";
import type { ContextDigest } from "../desired/build-context.js";
import { targetKeys } from "../graph/dependency-graph.js";
import type { LoadedMap } from "../load-map.js";
import { DEFAULT_CLIENT } from "../map/model.js";
import type { ObservedState } from "../observe/observed-state.js";
import type { ClientContext } from "../map/clients-file.js";
import { PlanBuilder } from "./plan-builder.js";
import { PlanContext, PlanError } from "./plan-context.js";
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

export interface PlanInput {
  map: LoadedMap;
  observed: ObservedState;
  options: Partial<PlanOptions> & { action: PlanAction };
  /** Per-engine settings (interfaces, hostname suffix); default: one `default` engine. */
  clients?: Record<string, ClientContext>;
  /** The contexts of the images the map builds (readBuildContexts), by image reference. */
  builds?: Readonly<Record<string, ContextDigest>>;
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
  const selected = targetKeys(resolved, options.targets);
  for (const client of [...resolved.clients].sort()) {
    const observed = input.observed.clients[client];
    if (observed === undefined) throw new PlanError(`no observation of engine ${client}`);
    const context = input.clients?.[client] ?? defaultClientContext(client);
    const ctx = new PlanContext(resolved, graph, context, observed, options, builder, input.builds);
    if (options.action === "startup" || options.action === "update") {
      planOrphans(ctx, options, planReconcile(ctx, selected));
    } else {
      new TeardownPlanner(ctx).run(selected);
      planOrphans(ctx, options);
    }
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
