/**
 * berth's field registry: one entry per key of the map, keyed by the map's own spelling, saying
 * everything the rest of the code needs to know about that key. The key lists of the loader
 * (raw-map, normalize, inherit, print-map) and of the spec (field classes, diff, create and update
 * bodies) are derived from these tables; adding a key is a schema property plus one entry here
 * (plus a normalizer in src/map/normalize.ts only when its short forms need a new one).
 *
 * The tables are split by the object they describe:
 * - container keys: fields-container.ts
 * - host_config and create_options keys: fields-host-config.ts
 * - volume and network keys: fields-objects.ts
 */

/**
 * What a change of a field means for a running container.
 * - recreate: the engine cannot change it on an existing container; a new one is made.
 * - in-place: `docker update` changes it on the running container (limits, restart policy).
 * - reconnect: network endpoints; disconnect and connect, no restart.
 * - ignored: planning or apply behaviour only; nothing on the container to change.
 */
export type FieldClass = "recreate" | "in-place" | "reconnect" | "ignored";

/**
 * How a field merges under `extends` (bases first) and across map files (earlier files first).
 * - replace: the later value wins.
 * - union: single-value lists are joined, in order, without repeats.
 * - by-key: lists of entries merged by one property of the entry (a later entry for the same
 *   path, alias, port or network replaces the earlier one).
 * - update: mappings updated key by key.
 */
export type MergeRule =
  { rule: "replace" } | { rule: "union" } | { rule: "by-key"; key: string } | { rule: "update" };

/**
 * The value loading fills in when the map leaves a key out; `berth config` leaves exactly these
 * out again. `none`: the key stays absent.
 */
export type FieldDefault = "none" | "empty-list" | "empty-map" | "false";

/** How a spec value compares: per key (a change per key), as a set of entries, or as one value. */
export type DiffShape = "keyed" | "set" | "value";

/** The parts of `docker inspect` output a read-back looks at, as plain JSON. */
export type InspectView = Record<string, unknown>;

/** Where a field goes in the Docker request body. */
export type DockerTarget =
  /** Copied to the body path (`WorkingDir`, `HostConfig.Memory`), through `to` when given. */
  | { copy: string; to?: (value: unknown) => unknown }
  /** Built by hand in create-body.ts into these body paths (references, lists of entries). */
  | { built: readonly string[] }
  /** Goes into the Docker request of a value of this same map key (lifted from create_options). */
  | { liftedTo: string }
  /** A mapping whose keys each have their own entry (host_config, create_options). */
  | { perKey: "host_config" | "create_options" }
  /** No Docker field: the key drives planning or apply only; the reason says where it goes. */
  | { none: string };

/** How the value the engine has is read back from `docker inspect`, in the spec's own form. */
export type ReadBack = { read: (details: InspectView) => unknown } | { none: string };

export interface ContainerField {
  class: FieldClass;
  /** The `docker update` body name, for in-place fields. */
  update?: string;
  merge: MergeRule;
  default: FieldDefault;
  /** The normalizer of src/map/normalize.ts that expands this key's short forms. */
  normalize: string;
  /** How the canonical spec compares it (spec fields only). */
  diff?: DiffShape;
  docker: DockerTarget;
  readBack: ReadBack;
}

export interface OptionField {
  class: FieldClass;
  /** The normalizer of src/map/normalize.ts for the value (`value`: taken as written). */
  normalize: string;
  docker: DockerTarget;
  readBack: ReadBack;
  /** The `docker update` body name, for in-place fields. */
  update?: string;
  /**
   * In-place fields the engine checks against this one: an update of any of them sends all of
   * them, so the engine never compares a new value with a stale one (memory with memoryswap).
   */
  sentWith?: readonly string[];
  /**
   * The value to send for this field in an update when the map leaves it out but a field it is
   * sent with changes: what the engine would have set at create (memoryswap = 2 × memory).
   */
  updateDefault?: (hostConfig: Record<string, unknown>) => unknown;
  /**
   * The values the engine reports for an in-place field no request set (`refresh: full` reads a
   * value outside them, where the map sets none, as set by hand).
   */
  unset?: readonly unknown[];
  /** A value the normalizer gives, for tests: every copied entry must reach its Docker field. */
  example?: unknown;
}

/** A key of a map-level object (volume, network): where it goes in the engine's create request. */
export interface ObjectField {
  merge: MergeRule;
  default: FieldDefault;
  docker: DockerTarget;
}

/** Value at a dotted path of a JSON object (`HostConfig.Memory`), or undefined. */
export function valueAt(object: unknown, path: string): unknown {
  let value = object;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Sets a value at a dotted path of a JSON object, making the objects on the way. */
export function setValueAt(object: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  const last = parts.pop() as string;
  let target = object;
  for (const part of parts) target = (target[part] ??= {}) as Record<string, unknown>;
  target[last] = value;
}

/** A read-back that takes the inspect value at a path, through `from` when given. */
export function readAt(path: string, from: (value: unknown) => unknown = (v) => v): ReadBack {
  return {
    read: (details) => {
      const value = valueAt(details, path);
      return value === undefined || value === null ? null : from(value);
    },
  };
}

export const replace: MergeRule = { rule: "replace" };
export const union: MergeRule = { rule: "union" };
export const update: MergeRule = { rule: "update" };
export const byKey = (key: string): MergeRule => ({ rule: "by-key", key });
