import { canonicalJson } from "../common/canonical-json.js";
import type { ContainerSpec } from "./container-spec.js";
import { classOf, type FieldClass } from "./field-classes.js";
import type { DiffShape } from "./fields.js";
import { containerField } from "./fields-container.js";
import { SENSITIVE_PLACEHOLDER, isSensitiveName } from "./sensitive.js";
import { protectValue } from "./spec-label.js";

/** One field that differs between the applied and the desired spec. */
export interface FieldChange {
  /** `image`, `environment.FOO`, `binds`, `host_config.mem_limit`, `networks.main.app`. */
  field: string;
  class: FieldClass;
  /** Shown values: secrets are `(sensitive)`; list fields show what was removed and added. */
  old?: unknown;
  new?: unknown;
}

/** How a spec field compares, from the registry: per key, as a set of entries, or as one value. */
function diffShapeOf(field: string): DiffShape {
  return containerField(field)?.diff ?? "value";
}

/**
 * Field-by-field differences between the spec recorded on a container (secrets as salted HMACs)
 * and the desired one. Only what the map says is compared; engine defaults never enter.
 */
export function diffSpecs(
  applied: ContainerSpec,
  desired: ContainerSpec,
  salt: string,
  sensitive: readonly string[],
): FieldChange[] {
  const changes: FieldChange[] = [];
  const fields = new Set([...Object.keys(applied), ...Object.keys(desired)]) as Set<keyof ContainerSpec>;
  for (const field of [...fields].sort()) {
    const before = applied[field] as unknown;
    const after = desired[field] as unknown;
    const shape = diffShapeOf(field);
    if (shape === "keyed") {
      changes.push(
        ...diffKeyed(
          field,
          (before ?? {}) as Record<string, unknown>,
          (after ?? {}) as Record<string, unknown>,
          salt,
          sensitive,
        ),
      );
    } else if (shape === "set" && Array.isArray(before) && Array.isArray(after)) {
      const removed = (before as unknown[]).filter(
        (v) => !after.some((w) => canonicalJson(w) === canonicalJson(v)),
      );
      const added = (after as unknown[]).filter(
        (v) => !before.some((w) => canonicalJson(w) === canonicalJson(v)),
      );
      if (removed.length > 0 || added.length > 0) changes.push(change(field, removed, added));
    } else if (canonicalJson(before ?? null) !== canonicalJson(after ?? null)) {
      changes.push(change(field, before ?? null, after ?? null));
    }
  }
  return changes;
}

function diffKeyed(
  field: string,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  salt: string,
  sensitive: readonly string[],
): FieldChange[] {
  const out: FieldChange[] = [];
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const path = `${field}.${key}`;
    const secret = field === "environment" && isSensitiveName(key, sensitive);
    const old = before[key];
    let next = after[key];
    if (secret && typeof next === "string") next = protectValue(next, salt);
    if (canonicalJson(old ?? null) === canonicalJson(next ?? null)) continue;
    if (secret) {
      out.push(
        change(
          path,
          old === undefined ? undefined : SENSITIVE_PLACEHOLDER,
          next === undefined ? undefined : SENSITIVE_PLACEHOLDER,
        ),
      );
    } else out.push(change(path, old, next));
  }
  return out;
}

function change(field: string, old: unknown, next: unknown): FieldChange {
  const out: FieldChange = { field, class: classOf(field) };
  if (old !== undefined) out.old = old;
  if (next !== undefined) out.new = next;
  return out;
}
