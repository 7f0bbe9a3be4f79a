import { canonicalJson } from "../common/canonical-json.js";
import type { EdgeKind } from "../map/resolve.js";
import type { ObservedContainer } from "../observe/observed-state.js";
import type { ContainerSpec, EndpointSpec } from "../desired/container-spec.js";
import { effectiveSpec, type InPlaceRecord } from "../desired/map-state.js";
import { diffSpecs, type FieldChange } from "../desired/spec-diff.js";
import { protectSpec, specHash } from "../desired/spec-label.js";
import { shortId } from "./plan-context.js";
import type { Cause, Reason } from "./plan-types.js";
import { configDrift, runningEndpoints, type ConfigDrift } from "./config-drift.js";
import { rejoinReason } from "./rejoin.js";

/**
 * What happens to one container of the map, and why: pure functions of plain data. The planner
 * gathers the inputs from the observation and the graph, and turns the decision into steps.
 */
export type Decision =
  | { kind: "create"; reasons: Reason[] }
  | { kind: "recreate"; reasons: Reason[]; old: ObservedContainer; mode: "safe" | "remove-first" }
  | {
      kind: "keep";
      container: ObservedContainer;
      start: boolean;
      /** Stopped and started again (it runs in a network namespace that this plan starts anew). */
      restart: boolean;
      /** Fields updated in place. */
      update: string[];
      reconnect: EndpointChange[];
      /** Why it starts. */
      reasons: Reason[];
      /** What differs but is left as it is (startup): reported, not changed. */
      outdated: Reason[];
      /** In-place fields the engine runs with other values than the map's (`refresh: full`). */
      drift: Reason[];
    };

/** A network endpoint to connect, disconnect or both (a changed endpoint). */
export interface EndpointChange {
  network: string;
  connect?: EndpointSpec;
  disconnect: boolean;
  reason: string;
}

/** A container this one refers to by id (links, volumes_from, network_mode), as it is now. */
export interface ReferenceTarget {
  key: string;
  name: string;
  edge: EdgeKind;
  /** The id the target has (or will have once this plan renames it); undefined when missing. */
  currentId: string | undefined;
}

export interface DecisionInput {
  /** `update` may change what exists; `startup` only creates and starts. */
  update: boolean;
  spec: ContainerSpec;
  observed: ObservedContainer | undefined;
  /** What berth changed on it in place since it was made. */
  record: InPlaceRecord | undefined;
  sensitive: readonly string[];
  /** Id of the spec's image on the engine; undefined when not present. */
  imageId: string | undefined;
  pullNever: boolean;
  /** Why this plan builds the container's image again (undefined: it does not). */
  rebuild?: readonly Reason[] | undefined;
  /** Recreates of containers it depends on along a stale-making edge. */
  cascade: Cause[];
  references: ReferenceTarget[];
  /** Volumes it mounts that this plan makes again (keys). */
  recreatedVolumes: string[];
  /**
   * The container whose network namespace it joins (network_mode) or that it links to, when this
   * plan starts it: left running, it would keep only its loopback interface, or a stale address.
   */
  namespaceStart: Cause | undefined;
  nonrecoverableExitCodes: readonly number[];
  /** Another container waits for it to complete: exited with 0 is where it should be. */
  job: boolean;
  persistent: boolean;
  /**
   * Networks (Docker names) on which the engine gives each endpoint an address of its own and
   * reports it as configured (overlay networks): an address the map does not set is not drift.
   */
  engineAddressed?: ReadonlySet<string>;
}

export function decideContainer(input: DecisionInput): Decision {
  const observed = input.observed;
  if (observed === undefined) return { kind: "create", reasons: [{ message: "container does not exist" }] };
  const { changes, current } = specChanges(input, observed);
  const recreate: Reason[] = [];
  if (observed.applied === undefined)
    recreate.push({ message: "created without a spec berth can read (made by hand or by another tool)" });
  for (const change of changes.filter((c) => c.class === "recreate")) recreate.push(fieldReason(change));
  recreate.push(
    ...(input.rebuild === undefined
      ? imageReasons(input.spec.image, input.imageId, observed.imageId, input.pullNever)
      : [rebuildReason(input.spec.image, input.rebuild)]),
  );
  recreate.push(...staleReferences(observed.applied?.bound ?? {}, input.references, input.cascade));
  recreate.push(...cascadeReasons(input.cascade));
  recreate.push(...stateReasons(observed, input.nonrecoverableExitCodes));
  const inPlace = current.filter((c) => c.class === "in-place");
  const update: string[] = [];
  for (const change of inPlace) {
    if (change.new === undefined && change.field !== "restart") {
      recreate.push({
        ...fieldReason(change),
        message: `${change.field} removed; the engine cannot unset it in place`,
      });
    } else update.push(change.field);
  }
  const refreshed = refreshDrift(input, observed, [...changes, ...current]);
  recreate.push(...refreshed.recreate);
  const drift = refreshed.inPlace.filter((r) => !update.includes(r.field as string));
  if (input.update) update.push(...drift.map((r) => r.field as string));
  for (const volume of input.recreatedVolumes)
    recreate.push({ message: `volume ${volume} is recreated (--recreate-volumes)` });

  if (recreate.length > 0 && (input.update || observed.state === "dead")) {
    const mode = input.recreatedVolumes.length > 0 ? "remove-first" : "safe";
    return { kind: "recreate", reasons: recreate, old: observed, mode };
  }
  const running = observed.effective === undefined ? undefined : runningEndpoints(observed.effective);
  const known =
    running ??
    (observed.applied === undefined ? {} : effectiveSpec(observed.applied.spec, input.record).networks);
  const endpoints = endpointChanges(
    input.spec,
    observed,
    known,
    running !== undefined,
    input.engineAddressed,
  );
  const start = needsStart(observed, input.job, input.persistent);
  const rejoin = start ? [] : namespaceReasons(observed, input.namespaceStart);
  return {
    kind: "keep",
    container: observed,
    start,
    restart: rejoin.length > 0,
    update: input.update ? update : [],
    reconnect: input.update ? endpoints : [],
    reasons: start ? [{ message: startReason(observed) }] : rejoin,
    drift: input.update ? drift : [],
    outdated: input.update
      ? []
      : [
          ...recreate,
          ...inPlace.map(fieldReason),
          ...drift,
          ...endpoints.map((e) => ({ message: e.reason })),
        ],
  };
}

/**
 * Field changes against the spec berth recorded: all of them (`changes`), and those against what
 * berth set since by updates in place (`current`). None when the digest matches and nothing was
 * changed in place.
 */
function specChanges(
  input: DecisionInput,
  observed: ObservedContainer,
): { changes: FieldChange[]; current: FieldChange[] } {
  const applied = observed.applied;
  if (applied === undefined) return { changes: [], current: [] };
  const { spec, record, sensitive } = input;
  if (record === undefined && specHash(protectSpec(spec, applied.salt, sensitive)) === observed.specHash)
    return { changes: [], current: [] };
  const changes = diffSpecs(applied.spec, spec, applied.salt, sensitive);
  const current =
    record === undefined
      ? changes
      : diffSpecs(effectiveSpec(applied.spec, record), spec, applied.salt, sensitive);
  return { changes, current };
}

function cascadeReasons(cascade: readonly Cause[]): Reason[] {
  return cascade.map((cause) => ({
    message: `${cause.object} is ${cause.change === "create" ? "created" : "recreated"} (${cause.edge})`,
    cause,
  }));
}

function stateReasons(observed: ObservedContainer, nonrecoverable: readonly number[]): Reason[] {
  if (observed.state === "dead") return [{ message: "the container is dead" }];
  if (observed.state === "exited" && nonrecoverable.includes(observed.exitCode ?? NaN)) {
    return [
      {
        message: `exited with code ${observed.exitCode}, which the engine cannot recover from by a start`,
      },
    ];
  }
  return [];
}

/** The image a container runs against the one its reference names now. */
export function imageReasons(
  image: string,
  currentId: string | undefined,
  runningId: string,
  pullNever: boolean,
): Reason[] {
  if (currentId === undefined) {
    if (pullNever) return [];
    return [
      {
        message: `image ${image} is not present; it is pulled and the container made from it`,
        field: "image",
      },
    ];
  }
  if (currentId === runningId) return [];
  return [
    {
      message: `image ${image} now refers to ${shortId(currentId)} (the container runs ${shortId(runningId)})`,
      field: "image",
      old: shortId(runningId),
      new: shortId(currentId),
    },
  ];
}

/** The container's image is built again by this plan: the new image is another one. */
export function rebuildReason(image: string, why: readonly Reason[]): Reason {
  const because = why.map((r) => r.message).join("; ");
  return { message: `image ${image} is built again${because === "" ? "" : `: ${because}`}`, field: "image" };
}

/** References bound at creation (links, volumes_from, network_mode) to containers replaced since. */
export function staleReferences(
  bound: Readonly<Record<string, string>>,
  targets: readonly ReferenceTarget[],
  cascade: readonly Cause[],
): Reason[] {
  const reasons: Reason[] = [];
  for (const target of targets) {
    if (cascade.some((c) => c.object === target.key)) continue;
    const boundId = bound[target.name];
    if (boundId === undefined || target.currentId === undefined || target.currentId === boundId) continue;
    reasons.push({
      message: `${target.key} was replaced after this container was made (${target.edge}): its reference is stale`,
      cause: { object: target.key, change: "replaced", edge: target.edge },
    });
  }
  return reasons;
}

/** A running container whose network_mode or links target starts must restart (see rejoin.ts). */
export function namespaceReasons(observed: ObservedContainer, target: Cause | undefined): Reason[] {
  if (target === undefined || (observed.state !== "running" && observed.state !== "restarting")) return [];
  return [rejoinReason(target)];
}

/**
 * What the engine runs (read by `refresh: full`) against the map, for the fields whose difference
 * the recorded spec does not already explain (a map edit is reported as such): a change made by
 * hand. In-place fields are put back by an update; any other field needs a new container.
 */
export function refreshDrift(
  input: Pick<DecisionInput, "spec" | "sensitive">,
  observed: ObservedContainer,
  explained: readonly FieldChange[],
): { inPlace: Reason[]; recreate: Reason[] } {
  if (observed.effective === undefined || observed.applied === undefined)
    return { inPlace: [], recreate: [] };
  const known = new Set(explained.map((c) => c.field));
  const drift = configDrift(input.spec, observed.effective, input.sensitive).filter(
    (d) => !known.has(d.field),
  );
  const inPlace = (d: ConfigDrift) => d.class === "in-place" && d.unsetByUpdate !== true;
  return {
    inPlace: drift.filter(inPlace).map((d) => d.reason),
    recreate: drift.filter((d) => !inPlace(d)).map((d) => d.reason),
  };
}

/** Whether a kept container is started. */
export function needsStart(observed: ObservedContainer, job: boolean, persistent: boolean): boolean {
  if (observed.state === "running" || observed.state === "restarting") return false;
  if (observed.state === "paused") return false;
  if (observed.state === "created") return true;
  if (job && observed.exitCode === 0) return false;
  // docker-map's persistent containers are not started again once they ran and stopped.
  return !persistent;
}

function startReason(observed: ObservedContainer): string {
  if (observed.state === "created") return "created but never started";
  const state =
    observed.state === "exited" && observed.exitCode !== undefined
      ? `exited (${observed.exitCode})`
      : observed.state;
  return `container is ${state}`;
}

/**
 * Network endpoints: membership from the container list; aliases, links and addresses from what
 * berth set (the label, or the state record after a reconnect).
 */
export function endpointChanges(
  spec: ContainerSpec,
  observed: ObservedContainer,
  known: Readonly<Record<string, EndpointSpec>>,
  /** `known` is what the engine runs (`refresh: full`), not what berth recorded. */
  inspected = false,
  engineAddressed: ReadonlySet<string> = new Set(),
): EndpointChange[] {
  const mode = spec.network_mode;
  if (mode === "host" || mode === "none" || mode === "disabled" || mode.startsWith("container:")) return [];
  const changes: EndpointChange[] = [];
  for (const [network, endpoint] of Object.entries(spec.networks)) {
    const seen = known[network];
    const current =
      seen !== undefined && inspected && engineAddressed.has(network)
        ? withoutEngineAddresses(seen, endpoint)
        : seen;
    if (observed.networks[network] === undefined) {
      changes.push({
        network,
        connect: endpoint,
        disconnect: false,
        reason: `not connected to network ${network}`,
      });
    } else if (current !== undefined && !sameEndpoint(current, endpoint)) {
      changes.push({
        network,
        connect: endpoint,
        disconnect: true,
        reason: inspected
          ? `endpoint on network ${network}: ${endpointDifference(current, endpoint)} (changed outside berth)`
          : `endpoint on network ${network} differs (aliases, links or addresses)`,
      });
    }
  }
  const implicit = mode === "default" || mode === "bridge" ? ["bridge"] : [];
  for (const network of Object.keys(observed.networks)) {
    if (spec.networks[network] === undefined && !implicit.includes(network)) {
      changes.push({
        network,
        disconnect: true,
        reason: `connected to network ${network}, which the map does not list`,
      });
    }
  }
  return changes;
}

/** The addresses the engine gave an endpoint by itself, where the map sets none, left out. */
function withoutEngineAddresses(current: EndpointSpec, desired: EndpointSpec): EndpointSpec {
  return {
    ...current,
    ipv4_address: desired.ipv4_address ?? null,
    ipv6_address: desired.ipv6_address ?? null,
  };
}

/** What differs between two endpoints, in words: `aliases ["a"] → ["b"]`. */
function endpointDifference(current: EndpointSpec, desired: EndpointSpec): string {
  const keys = ["aliases", "links", "ipv4_address", "ipv6_address", "link_local_ips"] as const;
  const norm = (v: unknown) => canonicalJson(Array.isArray(v) ? [...(v as string[])].sort() : v);
  return keys
    .filter((k) => norm(current[k]) !== norm(desired[k]))
    .map((k) => `${k} ${norm(current[k])} → ${norm(desired[k])}`)
    .join(", ");
}

function sameEndpoint(current: EndpointSpec, desired: EndpointSpec): boolean {
  const sorted = (values: readonly string[]) => canonicalJson([...values].sort());
  return (
    sorted(current.aliases) === sorted(desired.aliases) &&
    sorted(current.links) === sorted(desired.links) &&
    current.ipv4_address === desired.ipv4_address &&
    current.ipv6_address === desired.ipv6_address &&
    sorted(current.link_local_ips) === sorted(desired.link_local_ips)
  );
}

export function fieldReason(change: FieldChange): Reason {
  const reason: Reason = { message: `${change.field} changed`, field: change.field };
  if (change.old !== undefined) reason.old = change.old;
  if (change.new !== undefined) reason.new = change.new;
  return reason;
}
