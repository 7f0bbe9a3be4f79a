import { stringify } from "yaml";
import type { NormalizedMap, ResolvedMap } from "./model.js";

/**
 * The normalized map as a map file: long forms only, defaults and empty entries left out, with
 * the resolved instances (names, images, paths, references) under `x-berth`, which loading
 * ignores. Loading the printed map gives back the same normalized map.
 */
export function printableMap(normalized: NormalizedMap, resolved?: ResolvedMap): Record<string, unknown> {
  const out = escapeInterpolation(prune(normalized)) as Record<string, unknown>;
  if (resolved !== undefined) out["x-berth"] = { resolved };
  return out;
}

export function printMapYaml(normalized: NormalizedMap, resolved?: ResolvedMap): string {
  return stringify(printableMap(normalized, resolved), { lineWidth: 0, aliasDuplicateObjects: false });
}

export function printMapJson(normalized: NormalizedMap, resolved?: ResolvedMap): string {
  return `${JSON.stringify(printableMap(normalized, resolved), null, 2)}\n`;
}

/**
 * Drops what loading fills in again: empty lists and mappings, false flags that default to false.
 * Entries of `containers`, `volumes` and `networks` stay even when empty: they are the objects.
 */
function prune(value: unknown, keepEmptyMembers = false): unknown {
  if (Array.isArray(value)) return value.map((v) => prune(v));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    const pruned = prune(member, OBJECT_SECTIONS.has(key));
    if (pruned === undefined) continue;
    if (Array.isArray(pruned) && pruned.length === 0) continue;
    if (isEmptyObject(pruned) && !keepEmptyMembers && key !== "containers") continue;
    if (
      pruned === false &&
      (key === "persistent" || key === "detach" || key === "internal" || key === "ipv6" || key === "readonly")
    )
      continue;
    out[key] = pruned;
  }
  return out;
}

const OBJECT_SECTIONS = new Set(["containers", "volumes", "networks"]);

function isEmptyObject(value: unknown): boolean {
  return (
    value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0
  );
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
