import { yamlLibrary } from "../common/lazy-modules.js";
import type { FieldDefault } from "../spec/fields.js";
import { CONTAINER_FIELDS } from "../spec/fields-container.js";
import { NETWORK_FIELDS, VOLUME_FIELDS } from "../spec/fields-objects.js";
import type { NormalizedContainer, NormalizedMap, ResolvedMap } from "./model.js";

/**
 * The normalized map as a map file: long forms only, defaults and empty entries left out, with
 * the resolved instances (names, images, paths, references) under `x-berth`, which loading
 * ignores. Loading the printed map gives back the same normalized map.
 */
export function printableMap(normalized: NormalizedMap, resolved?: ResolvedMap): Record<string, unknown> {
  const out = escapeInterpolation(pruneMap(normalized)) as Record<string, unknown>;
  if (resolved !== undefined) out["x-berth"] = escapeInterpolation({ resolved });
  return out;
}

export function printMapYaml(normalized: NormalizedMap, resolved?: ResolvedMap): string {
  return yamlLibrary().stringify(printableMap(normalized, resolved), {
    lineWidth: 0,
    aliasDuplicateObjects: false,
  });
}

export function printMapJson(normalized: NormalizedMap, resolved?: ResolvedMap): string {
  return `${JSON.stringify(printableMap(normalized, resolved), null, 2)}\n`;
}

/**
 * Leaves out exactly what loading fills in again — the defaults of each long form (empty lists
 * and mappings, false flags) — and keeps every other value, empty or not: an empty `command` or
 * `clients: []` means something.
 */
type Defaults = Record<string, "empty" | "false">;

const MAP_DEFAULTS: Defaults = {
  volumes: "empty",
  host: "empty",
  networks: "empty",
  groups: "empty",
  sensitive: "empty",
};
const CONTAINER_DEFAULTS = defaultsOf(CONTAINER_FIELDS);
const VOLUME_DEFAULTS = defaultsOf(VOLUME_FIELDS);
const NETWORK_DEFAULTS = defaultsOf(NETWORK_FIELDS);

/** The registry's defaults of one kind of object, as the pruning rules above. */
function defaultsOf(fields: Record<string, { default: FieldDefault }>): Defaults {
  const out: Defaults = {};
  for (const [key, entry] of Object.entries(fields)) {
    if (entry.default === "false") out[key] = "false";
    else if (entry.default === "empty-list" || entry.default === "empty-map") out[key] = "empty";
  }
  return out;
}

/** Entries of list fields: binds, uses (readonly), exposes (ipv6), exec (detach), endpoints. */
const ENTRY_DEFAULTS: Defaults = {
  readonly: "false",
  ipv6: "false",
  detach: "false",
  aliases: "empty",
  links: "empty",
  link_local_ips: "empty",
};

function withoutDefaults(value: object, defaults: Defaults): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    if (member === undefined) continue;
    const rule = defaults[key];
    if (rule === "false" && member === false) continue;
    if (rule === "empty" && isEmpty(member)) continue;
    out[key] = member;
  }
  return out;
}

function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return value !== null && typeof value === "object" && Object.keys(value).length === 0;
}

function pruneMap(map: NormalizedMap): Record<string, unknown> {
  const out = withoutDefaults(map, MAP_DEFAULTS);
  out.containers = Object.fromEntries(
    Object.entries(map.containers).map(([name, c]) => [name, pruneContainer(c)]),
  );
  if (out.volumes) out.volumes = mapValues(map.volumes, (v) => withoutDefaults(v, VOLUME_DEFAULTS));
  if (out.networks) out.networks = mapValues(map.networks, (n) => withoutDefaults(n, NETWORK_DEFAULTS));
  return out;
}

function pruneContainer(container: NormalizedContainer): Record<string, unknown> {
  const out = withoutDefaults(container, CONTAINER_DEFAULTS);
  for (const key of ["binds", "uses", "exposes", "exec_commands", "networks"] as const) {
    if (Array.isArray(out[key]))
      out[key] = (container[key] as object[]).map((entry) => withoutDefaults(entry, ENTRY_DEFAULTS));
  }
  return out;
}

function mapValues<T>(record: Record<string, T>, f: (value: T) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}

/** A literal `${` in a value must be written `$${`, or loading would interpolate it. */
function escapeInterpolation(value: unknown): unknown {
  // A function, because in a replacement string `$$` means one `$`.
  if (typeof value === "string") return value.replaceAll("${", () => "$${");
  if (Array.isArray(value)) return value.map(escapeInterpolation);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeInterpolation(v)]));
  }
  return value;
}
