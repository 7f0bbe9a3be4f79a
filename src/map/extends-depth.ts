import type { ProblemList } from "./map-error.js";
import type { ConfigDraft } from "./normalize.js";
import type { Origins } from "./origins.js";

/** Longest `extends` chain a map may have; real maps use two or three levels. */
export const MAX_EXTENDS_DEPTH = 64;

/**
 * Whether every `extends` chain stays within MAX_EXTENDS_DEPTH; reports the first one that does
 * not. resolveExtends (inherit.ts) merges bases recursively, one call per level of a chain, so a
 * chain of thousands of configs would exhaust the call stack. This walks the chains the same way
 * (same order, a base on the current chain or already resolved is not entered again), with an
 * explicit stack, and stops at the first one too deep.
 */
export function checkExtendsDepth(
  drafts: ReadonlyMap<string, ConfigDraft>,
  problems: ProblemList,
  origins: Origins,
): boolean {
  const resolved = new Set<string>();
  for (const name of drafts.keys()) {
    if (resolved.has(name)) continue;
    const chain: { draft: ConfigDraft; next: number }[] = [
      { draft: drafts.get(name) as ConfigDraft, next: 0 },
    ];
    const onChain = new Set<string>([name]);
    while (chain.length > 0) {
      const top = chain[chain.length - 1] as { draft: ConfigDraft; next: number };
      const base = top.draft.extends[top.next++];
      if (base === undefined) {
        resolved.add(top.draft.name);
        onChain.delete(top.draft.name);
        chain.pop();
        continue;
      }
      const draft = drafts.get(base);
      if (draft === undefined || onChain.has(base) || resolved.has(base)) continue;
      chain.push({ draft, next: 0 });
      onChain.add(base);
      if (chain.length > MAX_EXTENDS_DEPTH) {
        reportTooDeep(
          chain.map((link) => link.draft),
          problems,
          origins,
        );
        return false;
      }
    }
  }
  return true;
}

function reportTooDeep(chain: ConfigDraft[], problems: ProblemList, origins: Origins): void {
  const first = chain[0] as ConfigDraft;
  const names = chain.map((draft) => draft.name);
  const shown =
    names.length > 6 ? [...names.slice(0, 3), "…", ...names.slice(-2)].join(" -> ") : names.join(" -> ");
  problems.add(
    origins.field(first.fields, "extends") ?? first.at,
    `\`extends\` chain deeper than ${MAX_EXTENDS_DEPTH} configs: ${shown}`,
    "a config extends a few bases; flatten the chain",
  );
}
