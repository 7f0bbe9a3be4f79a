import { compareText } from "../common/text.js";
import { nodeKey, nodeKind } from "../graph/dependency-graph.js";
import type { DependencyCondition } from "../map/model.js";
import { remoteToken } from "./remote-steps.js";
import { containerNode } from "../map/resolve.js";
import type { ObservedContainer } from "../observe/observed-state.js";
import type { ContainerSpec, EndpointSpec } from "../desired/container-spec.js";
import { extraEndpoints } from "../desired/create-body.js";
import { inPlaceRecordOf } from "../desired/map-state.js";
import type { InPlaceChange } from "./state-record.js";
import type { Decision, EndpointChange } from "./container-decision.js";
import { emitExecSteps } from "./exec-steps.js";
import { imageStep } from "./image-builds.js";
import { TEMPORARY_SUFFIX, type PlanContext } from "./plan-context.js";
import type { Cause, ObjectRef, Reason } from "./plan-types.js";
import type { RecreatedResources } from "./resource-planner.js";
import type { StepIndex } from "./step-index.js";

/** What turning a container's decision into steps reads: the context, the index, the resources. */
export interface ContainerPlanning {
  ctx: PlanContext;
  index: StepIndex;
  recreated: RecreatedResources;
}

export type { InPlaceChange } from "./state-record.js";

/** Steps a container's first step waits for besides its prerequisites (a rename, leftovers). */
type After = (string | undefined)[];

/** What a step waits for, and which of those may fail without holding it back (Step.tolerates). */
interface Gates {
  after: After;
  tolerates: string[];
  /** Steps of which one must be done (see StaleOn). */
  needsOneOf?: string[];
}

/**
 * The containers whose change (a replacement, a start) is why a container changes: its reference
 * to them went stale. Undefined when there are none.
 *
 * Such a container goes ahead once the containers it needs have ended their steps, whatever the
 * outcome (an exec command that failed; a new container not made leaves the old one running):
 * held back, it would stay bound to a container that is gone, or in a dead namespace. But when
 * none of the containers it is stale on is in fact made (or started) again — their image failed
 * to build — neither is it: its references still hold (Step.needsOneOf).
 */
type StaleOn = ReadonlyMap<string, Cause["change"]> | undefined;

function staleOn(reasons: readonly Reason[]): StaleOn {
  const causes = new Map(
    reasons.flatMap((r) => (r.cause === undefined ? [] : [[r.cause.object, r.cause.change]])),
  );
  return causes.size === 0 ? undefined : causes;
}
type KeepDecision = Extract<Decision, { kind: "keep" }>;

export function emitCreate(p: ContainerPlanning, key: string, reasons: Reason[], after: After): void {
  const ref = p.ctx.containerRef(key);
  const spec = p.ctx.spec(key);
  const first = prerequisites(p, key, spec, { pull: true, stale: undefined });
  const created = p.ctx.builder.add({
    type: "create-container",
    object: ref,
    name: ref.name,
    temporary: false,
    carriedVolumes: [],
    after: [...first.after, ...after],
    tolerates: first.tolerates,
    needsOneOf: first.needsOneOf,
  });
  p.index.set("exists", key, created);
  p.ctx.builder.change(ref, "create", reasons);
  emitStart(p, key, [created, ...connects(p, ref, spec, created)], created, { stale: undefined });
}

export function emitRecreate(
  p: ContainerPlanning,
  key: string,
  decision: Extract<Decision, { kind: "recreate" }>,
  after: { adopted: string | undefined; leftovers: string[] },
): void {
  const ref = p.ctx.containerRef(key);
  const spec = p.ctx.spec(key);
  const old = decision.old;
  const carried = carriedVolumes(old, spec);
  p.ctx.builder.change(ref, "recreate", decision.reasons);
  const stale = staleOn(decision.reasons);
  const first = prerequisites(p, key, spec, { pull: true, stale });
  if (decision.mode === "remove-first") {
    // A volume it mounts is made again, which needed the old container gone (resource-planner).
    const removed =
      p.index.get("removed", old.id) ?? removeOld(p, key, old, { after: [after.adopted], tolerates: [] });
    const created = p.ctx.builder.add({
      type: "create-container",
      object: ref,
      name: ref.name,
      temporary: false,
      carriedVolumes: carried,
      after: [...first.after, removed],
      tolerates: first.tolerates,
      needsOneOf: first.needsOneOf,
    });
    p.index.set("exists", key, created);
    emitStart(p, key, [created, ...connects(p, ref, spec, created)], created, { stale });
    return;
  }
  // Safe order: the new container exists before the old one goes, and takes its name after.
  const temporaryName = `${ref.name}${TEMPORARY_SUFFIX}`;
  const created = p.ctx.builder.add({
    type: "create-container",
    object: ref,
    name: temporaryName,
    temporary: true,
    carriedVolumes: carried,
    // A container left under the temporary name must be gone before the name is taken again.
    after: [...first.after, after.adopted, ...after.leftovers],
    tolerates: first.tolerates,
    needsOneOf: first.needsOneOf,
  });
  // The old container serves until what the new one's start waits for (depends_on) holds: a
  // dependency that fails then leaves it running, not a new container that cannot start.
  const waits = waitsFor(p, key, stale);
  const removed = removeOld(p, key, old, { after: [created, ...waits.after], tolerates: waits.tolerates });
  const renamed = p.ctx.builder.add({
    type: "rename-container",
    object: ref,
    container: temporaryName,
    to: ref.name,
    after: [removed],
  });
  p.index.set("exists", key, renamed);
  emitStart(p, key, [renamed, ...connects(p, ref, spec, renamed)], renamed, { stale });
}

/** Stops (when running) and removes the container being replaced. */
function removeOld(p: ContainerPlanning, key: string, old: ObservedContainer, gates: Gates): string {
  const { after, tolerates } = gates;
  const ref = p.ctx.containerRef(key);
  const running = old.state === "running" || old.state === "restarting" || old.state === "paused";
  const stopped = running
    ? p.ctx.builder.add({
        type: "stop-container",
        object: ref,
        container: old.id,
        signal: p.ctx.container(key).stop_signal ?? null,
        timeoutSeconds: p.ctx.container(key).stop_timeout ?? null,
        after,
        tolerates,
      })
    : undefined;
  const removed = p.ctx.builder.add({
    type: "remove-container",
    object: ref,
    container: old.id,
    removeVolumes: false,
    force: false,
    after: stopped === undefined ? after : [stopped],
    tolerates: stopped === undefined ? tolerates : [],
  });
  return p.index.set("removed", old.id, removed);
}

/**
 * A kept container: updated in place, reconnected, connected again to a network made again, and
 * started — each when its decision says so. Returns what it changed in place, for the state record.
 */
export function emitKeep(
  p: ContainerPlanning,
  key: string,
  decision: KeepDecision,
  adopted: string | undefined,
): InPlaceChange | undefined {
  const ref = p.ctx.containerRef(key);
  const spec = p.ctx.spec(key);
  if (decision.outdated.length > 0) p.ctx.builder.change(ref, "outdated", decision.outdated);
  if (decision.container.state === "paused")
    p.ctx.builder.change(ref, "skip", [
      { message: "paused: berth leaves a paused container paused (`docker unpause` resumes it)" },
    ]);
  if (adopted !== undefined) p.index.set("exists", key, adopted);
  let last = adopted;
  if (decision.update.length > 0) {
    last = p.ctx.builder.add({
      type: "update-container",
      object: ref,
      container: ref.name,
      fields: decision.update,
      after: [adopted],
    });
    const changes = decision.update.map(
      (field) =>
        decision.drift.find((r) => r.field === field) ?? { message: `${field} changes in place`, field },
    );
    p.ctx.builder.change(ref, "update", changes);
  }
  const dropped = new Set(
    (p.recreated.networks.get(key) ?? []).map((networkKey) => p.ctx.networks.get(networkKey)?.name),
  );
  const reconnects = decision.reconnect.flatMap((change) => {
    const step = reconnect(p, ref, change, last, dropped.has(change.network));
    return step === undefined ? [] : [step];
  });
  if (decision.reconnect.length > 0)
    p.ctx.builder.change(
      ref,
      "reconnect",
      decision.reconnect.map((c) => ({ message: c.reason })),
    );
  const record =
    decision.update.length > 0 || decision.reconnect.length > 0
      ? {
          record: inPlaceRecordOf(spec),
          steps: [...(decision.update.length > 0 && last !== undefined ? [last] : []), ...reconnects],
        }
      : undefined;
  const handled = new Set(decision.reconnect.map((c) => c.network));
  const rejoins = rejoinRecreatedNetworks(p, key, spec, handled);
  const connected = [...reconnects, ...rejoins];
  emitRun(p, key, decision, [last, ...connected]);
  return record;
}

/** Starts (or restarts) a kept container after `before`; else marks it ready after them. */
function emitRun(p: ContainerPlanning, key: string, decision: KeepDecision, before: After): void {
  const ref = p.ctx.containerRef(key);
  const stale = staleOn(decision.reasons);
  const first = () => prerequisites(p, key, p.ctx.spec(key), { pull: false, stale });
  if (decision.restart) {
    p.ctx.builder.change(ref, "restart", decision.reasons);
    const stopped = emitStop(p, key, decision.container, before);
    const { after, tolerates, needsOneOf } = first();
    emitStart(p, key, [stopped, ...after], decision.container, { stale, tolerates, needsOneOf });
  } else if (decision.start) {
    p.ctx.builder.change(ref, "start", decision.reasons);
    const { after, tolerates, needsOneOf } = first();
    emitStart(p, key, [...before, ...after], decision.container, { stale, tolerates, needsOneOf });
  } else {
    const running = before.filter((s): s is string => s !== undefined).at(-1);
    if (running !== undefined) p.index.set("running", key, running);
    // A running container runs the exec commands it has not run yet (added, edited, failed).
    const execs =
      decision.container.state === "running"
        ? emitExecSteps(p.ctx, key, { kind: "running", id: decision.container.id }, [
            ...before,
            ...first().after,
          ])
        : undefined;
    const ready = execs ?? running;
    if (ready !== undefined) p.index.set("ready", key, ready);
  }
}

function networkKeyOf(p: ContainerPlanning, name: string): string | undefined {
  for (const network of p.ctx.networks.values()) if (network.name === name) return network.key;
  return undefined;
}

/**
 * Disconnects, connects or both; returns the last step (undefined when none is needed). A network
 * made again has dropped the endpoint already: disconnecting it again would fail.
 */
function reconnect(
  p: ContainerPlanning,
  ref: ObjectRef,
  change: EndpointChange,
  after: string | undefined,
  dropped: boolean,
): string | undefined {
  let step = after;
  if (change.disconnect && !dropped) {
    step = p.ctx.builder.add({
      type: "disconnect-network",
      object: ref,
      network: change.network,
      container: ref.name,
      after: [step],
    });
  }
  if (change.connect !== undefined) {
    const networkKey = networkKeyOf(p, change.network);
    step = p.ctx.builder.add({
      type: "connect-network",
      object: ref,
      network: change.network,
      container: ref.name,
      endpoint: change.connect,
      after: [step, networkKey === undefined ? undefined : p.index.get("network", networkKey)],
    });
  }
  return step === after ? undefined : step;
}

/** A network made again dropped the container's endpoint: connect it again, as the map says. */
function rejoinRecreatedNetworks(
  p: ContainerPlanning,
  key: string,
  spec: ContainerSpec,
  handled: ReadonlySet<string>,
): string[] {
  const recreated = p.recreated.networks.get(key) ?? [];
  const ref = p.ctx.containerRef(key);
  const steps: string[] = [];
  for (const [network, endpoint] of Object.entries(spec.networks)) {
    const networkKey = networkKeyOf(p, network);
    if (networkKey === undefined || !recreated.includes(networkKey) || handled.has(network)) continue;
    steps.push(connectStep(p, ref, [network, endpoint], [p.index.get("network", networkKey)]));
  }
  return steps;
}

/** What a container's first step waits for: its image (when it is made), volumes, networks, dependencies. */
function prerequisites(
  p: ContainerPlanning,
  key: string,
  spec: ContainerSpec,
  options: { pull: boolean; stale: StaleOn },
): Gates {
  const gates: Gates = { after: options.pull ? [imageStep(p.ctx, p.index, spec.image)] : [], tolerates: [] };
  for (const edge of p.ctx.graph.dependencyEdges(containerNode(key))) {
    const dependency = nodeKey(edge.dependency);
    switch (nodeKind(edge.dependency)) {
      case "volume":
        gates.after.push(p.index.get("volume", dependency));
        break;
      case "network":
        gates.after.push(p.index.get("network", dependency));
        break;
      case "container":
        // depends_on with a condition gates the start (see waitsFor), not the create.
        onContainer(
          p,
          gates,
          dependency,
          p.index.get(edge.kind === "depends-on" ? "exists" : "ready", dependency),
          options.stale,
        );
        break;
    }
  }
  gates.needsOneOf = staleStarts(p, options.stale);
  return gates;
}

/**
 * A gate on another container's `step`: waited for, and for a container that repairs a
 * stale reference (see StaleOn), whatever its outcome; for a container it is stale on, also the
 * start that makes the new one run.
 */
function onContainer(
  p: ContainerPlanning,
  gates: Gates,
  target: string,
  step: string | undefined,
  stale: StaleOn,
): void {
  if (step === undefined) return;
  gates.after.push(step);
  if (stale === undefined) return;
  gates.tolerates.push(step);
  const running = stale.has(target) ? p.index.get("running", target) : undefined;
  if (running === undefined) return;
  gates.after.push(running);
  gates.tolerates.push(running);
}

/**
 * The starts of the containers a repairing container is stale on, one of which must be done for
 * it to go ahead; none (no condition) when one of them was replaced before this plan (the
 * reference is stale already) or is not started by it.
 */
function staleStarts(p: ContainerPlanning, stale: StaleOn): string[] {
  if (stale === undefined) return [];
  // Replaced or restarted before this plan: stale already, whatever this plan does.
  if ([...stale.values()].some((change) => change === "replaced" || change === "restarted")) return [];
  const starts: string[] = [];
  for (const target of stale.keys()) {
    const start = p.index.get("running", target);
    if (start === undefined) return [];
    starts.push(start);
  }
  return starts;
}

/** Health and completion gates of a container's start. */
function waitsFor(p: ContainerPlanning, key: string, stale: StaleOn): Gates {
  const gates: Gates = { after: [], tolerates: [] };
  for (const dependency of p.ctx.container(key).dependsOn) {
    const target = dependency.container;
    if (!p.ctx.containers.has(target)) {
      gates.after.push(...remoteWaits(p, dependency.condition, target));
      continue;
    }
    if (dependency.condition === "started") {
      onContainer(p, gates, target, p.index.get("ready", target), stale);
      continue;
    }
    const wait = p.index.getOrSet("wait", `${dependency.condition}:${target}`, () => {
      const object = p.ctx.containerRef(target);
      return p.ctx.builder.add({
        type: dependency.condition === "healthy" ? "wait-healthy" : "wait-completed",
        object,
        container: object.name,
        after: [p.index.get("ready", target)],
      });
    });
    onContainer(p, gates, target, wait, stale);
  }
  return gates;
}

/**
 * A dependency that runs on other engines only: the start waits for it there, on each engine it
 * runs on, as it would on this one (its start, health or completion). Those engines' parts of the
 * plan may come later: the steps are stand-ins until every engine is planned (see remoteGate).
 */
function remoteWaits(p: ContainerPlanning, condition: DependencyCondition, target: string): string[] {
  const clients = p.ctx.resolved.containers.find((c) => c.key === target)?.clients ?? [];
  return clients.map((client) =>
    p.ctx.builder.remote(remoteToken({ kind: "gate", condition, client, key: target })),
  );
}

/** Extra endpoints (API 1.41 takes one network at create) are connected before the start. */
function connects(p: ContainerPlanning, ref: ObjectRef, spec: ContainerSpec, after: string): string[] {
  return extraEndpoints(spec).map((entry) => connectStep(p, ref, entry, [after]));
}

function connectStep(
  p: ContainerPlanning,
  ref: ObjectRef,
  [network, endpoint]: [string, EndpointSpec],
  after: After,
): string {
  return p.ctx.builder.add({
    type: "connect-network",
    object: ref,
    network,
    container: ref.name,
    endpoint,
    after,
  });
}

function emitStop(p: ContainerPlanning, key: string, container: ObservedContainer, after: After): string {
  const instance = p.ctx.container(key);
  return p.ctx.builder.add({
    type: "stop-container",
    object: p.ctx.containerRef(key),
    container: container.id,
    signal: instance.stop_signal ?? null,
    timeoutSeconds: instance.stop_timeout ?? null,
    after,
  });
}

/** Starts a container just made (`created`) or found stopped, then runs its exec commands. */
function emitStart(
  p: ContainerPlanning,
  key: string,
  after: After,
  created: string | ObservedContainer,
  options: { stale: StaleOn; tolerates?: readonly string[]; needsOneOf?: readonly string[] },
): void {
  const occasion =
    typeof created === "string"
      ? { kind: "created" as const, made: created }
      : { kind: "started" as const, id: created.id };
  const waits = waitsFor(p, key, options.stale);
  const { started, last } = p.ctx.startSteps(
    key,
    [...after, ...waits.after],
    occasion,
    [...(options.tolerates ?? []), ...waits.tolerates],
    options.needsOneOf,
  );
  if (!p.index.has("exists", key)) p.index.set("exists", key, started);
  p.index.set("running", key, started);
  p.index.set("ready", key, last);
}

/**
 * Anonymous volumes of the container being replaced, to mount again in the new one at the same
 * path: the data in `shares` (and image VOLUMEs) survives the recreate. A path the new spec mounts
 * otherwise is left to the new spec.
 */
export function carriedVolumes(
  old: ObservedContainer,
  spec: ContainerSpec,
): { name: string; path: string }[] {
  const taken = new Set([
    ...spec.binds.map((b) => b.split(":")[1]),
    ...spec.attaches.map((a) => a.split(":")[1]),
    ...spec.uses.filter((u) => u.startsWith("volume:")).map((u) => u.split(":")[2]),
  ]);
  return old.mounts
    .filter(
      (m) =>
        m.type === "volume" && m.name !== null && /^[0-9a-f]{64}$/.test(m.name) && !taken.has(m.destination),
    )
    .map((m) => ({ name: m.name as string, path: m.destination }))
    .sort((a, b) => compareText(a.path, b.path));
}
