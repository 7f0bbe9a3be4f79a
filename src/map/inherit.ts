import { canonicalJson } from "../common/canonical-json.js";
import { didYouMean } from "./did-you-mean.js";
import type { ProblemList } from "./map-error.js";
import type { NormalizedContainer } from "./model.js";
import type { ConfigDraft } from "./normalize.js";
import type { Origins } from "./origins.js";
import type { ContainerField, MergeRule } from "../spec/fields.js";
import { CONTAINER_FIELDS, containerField } from "../spec/fields-container.js";

/**
 * docker-map's merge rules, used both for `extends` (bases first, then the config) and for
 * several map files (earlier files first). Each key's rule is its registry entry's `merge`
 * (src/spec/fields-container.ts):
 * - replace (scalars): the later value wins;
 * - union (instances, clients, shares, links, exec_commands): single-value lists joined, in order;
 * - by-key (binds, attaches, uses, exposes, networks, depends_on): merged by their first element —
 *   a later entry for the same path, alias, port or network replaces the earlier one;
 * - update (create_options, host_config, environment, labels): updated key by key.
 */

type Fields = Partial<NormalizedContainer>;

export function mergeFields(base: Fields, over: Fields, origins: Origins): Fields {
  const out: Fields = { ...base };
  const record = out as Record<string, unknown>;
  origins.copyFields(base, out);
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const previous = record[key];
    record[key] = previous === undefined ? value : mergeValue(containerField(key)?.merge, previous, value);
  }
  origins.copyFields(over, out, Object.keys(over));
  return out;
}

function mergeValue(merge: MergeRule | undefined, previous: unknown, value: unknown): unknown {
  switch (merge?.rule) {
    case "union":
      return union(previous as unknown[], value as unknown[]);
    case "by-key":
      return mergeByKey(previous as Record<string, unknown>[], value as Record<string, unknown>[], merge.key);
    case "update":
      return { ...(previous as object), ...(value as object) };
    case "replace":
    case undefined:
      return value;
  }
}

function union(a: unknown[], b: unknown[]): unknown[] {
  const seen = new Set(a.map((v) => canonicalJson(v)));
  const out = [...a];
  for (const value of b) {
    const key = canonicalJson(value);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(value);
    }
  }
  return out;
}

function mergeByKey(
  a: Record<string, unknown>[],
  b: Record<string, unknown>[],
  by: string,
): Record<string, unknown>[] {
  const out = [...a];
  for (const entry of b) {
    const index = out.findIndex((existing) => String(existing[by]) === String(entry[by]));
    if (index >= 0) out[index] = entry;
    else out.push(entry);
  }
  return out;
}

/** Merges a later file's draft of a config over an earlier one's. */
export function mergeDrafts(
  base: ConfigDraft,
  over: ConfigDraft,
  origins: Origins,
  overSets: { abstract: boolean; extends: boolean },
): ConfigDraft {
  const fields = mergeFields(base.fields, over.fields, origins);
  origins.entry(fields, over.at);
  return {
    name: base.name,
    abstract: overSets.abstract ? over.abstract : base.abstract,
    extends: overSets.extends ? over.extends : base.extends,
    fields,
    at: over.at,
  };
}

/**
 * Resolves `extends` for every config: each base is merged in order (recursively), then the
 * config's own fields. Unknown bases and cycles are reported; `abstract` is not inherited.
 */
export function resolveExtends(
  drafts: Map<string, ConfigDraft>,
  problems: ProblemList,
  origins: Origins,
): Map<string, Fields> {
  const done = new Map<string, Fields>();
  const reported = new Set<string>();

  const resolve = (name: string, chain: string[]): Fields => {
    const cached = done.get(name);
    if (cached) return cached;
    const draft = drafts.get(name) as ConfigDraft;
    let merged: Fields = {};
    for (const base of draft.extends) {
      const at = origins.field(draft.fields, "extends") ?? draft.at;
      if (!drafts.has(base)) {
        if (!reported.has(`${name}>${base}`)) {
          reported.add(`${name}>${base}`);
          problems.add(
            at,
            `\`${name}\` extends unknown config \`${base}\``,
            didYouMean(
              base,
              [...drafts.keys()].filter((candidate) => candidate !== name),
            ),
          );
        }
        continue;
      }
      if (chain.includes(base)) {
        const cycle = [...chain.slice(chain.indexOf(base)), base].join(" -> ");
        if (!reported.has(`cycle:${cycle}`)) {
          reported.add(`cycle:${cycle}`);
          // Reported where the first config of the printed path names its base.
          const first = drafts.get(base) as ConfigDraft;
          problems.add(
            origins.field(first.fields, "extends") ?? first.at,
            `\`extends\` cycle: ${cycle}`,
            "a config cannot extend itself, directly or through others",
          );
        }
        continue;
      }
      merged = mergeFields(merged, resolve(base, [...chain, base]), origins);
    }
    const own = mergeFields(merged, draft.fields, origins);
    origins.entry(own, draft.at);
    done.set(name, own);
    return own;
  };

  for (const name of drafts.keys()) resolve(name, [name]);
  return done;
}

/**
 * A config's fields with every default filled in, keys in the order of `{ ...fields, instances: … }`.
 * Not written as that literal: V8 grows its property store once per key added after the spread,
 * three times the memory of a copy whose properties are then set (a no-op run on a 300-container
 * map spent longer collecting garbage than planning).
 */
export function withDefaults(fields: Fields): NormalizedContainer {
  const out = Object.assign({}, fields) as Record<string, unknown>;
  for (const [key, fill] of DEFAULTED_KEYS) out[key] ??= fill();
  return out as unknown as NormalizedContainer;
}

/** The container keys with a default, and a maker of a fresh default value for each. */
const DEFAULTED_KEYS: [string, () => unknown][] = Object.entries(
  CONTAINER_FIELDS as Record<string, ContainerField>,
).flatMap(([key, entry]): [string, () => unknown][] => {
  switch (entry.default) {
    case "empty-list":
      return [[key, () => []]];
    case "empty-map":
      return [[key, () => ({})]];
    case "false":
      return [[key, () => false]];
    case "none":
      return [];
  }
});
