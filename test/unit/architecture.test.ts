import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/cli.js";

/**
 * The tree tells the pipeline: folders of src/ import downward only. A folder-level import cycle
 * (as map ↔ graph and map ↔ spec once were) fails here, naming the files that close it.
 */
const SRC = join(REPO_ROOT, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === "generated" ? [] : sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

/** `map`, `plan`, … for files in a folder of src/; undefined for src/*.ts (the top level). */
function folderOf(file: string): string | undefined {
  const parts = relative(SRC, file).split("/");
  return parts.length > 1 ? parts[0] : undefined;
}

/** Folder → folders it imports, with one importing file per edge (for the message). */
function folderEdges(): Map<string, Map<string, string>> {
  const edges = new Map<string, Map<string, string>>();
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(file);
    if (from === undefined) continue;
    for (const match of readFileSync(file, "utf8").matchAll(/from "(\.{1,2}\/[^"]+)"/g)) {
      const to = folderOf(join(file, "..", match[1] as string));
      if (to === undefined || to === from) continue;
      const out = edges.get(from) ?? new Map<string, string>();
      if (!out.has(to)) out.set(to, relative(SRC, file));
      edges.set(from, out);
    }
  }
  return edges;
}

function findCycle(edges: Map<string, Map<string, string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "open") return [...path.slice(path.indexOf(node)), node];
    state.set(node, "open");
    path.push(node);
    for (const next of edges.get(node)?.keys() ?? []) {
      const cycle = visit(next);
      if (cycle !== undefined) return cycle;
    }
    path.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

describe("folders of src/", () => {
  it("import each other without a cycle", () => {
    const edges = folderEdges();
    const cycle = findCycle(edges);
    const explained = cycle
      ?.slice(1)
      .map((to, i) => `${cycle[i]} → ${to} (${edges.get(cycle[i] as string)?.get(to)})`);
    expect(explained).toBeUndefined();
  });

  it("finds a cycle when there is one (the check itself works)", () => {
    const edges = new Map([
      ["map", new Map([["graph", "map/load-map.ts"]])],
      ["graph", new Map([["map", "graph/dependency-graph.ts"]])],
    ]);
    expect(findCycle(edges)).toEqual(["map", "graph", "map"]);
  });

  it("keep the plan free of I/O: it imports neither the engine client nor apply nor the CLI", () => {
    const plan = folderEdges().get("plan") ?? new Map<string, string>();
    for (const forbidden of ["apply", "cli", "engine"]) expect(plan.has(forbidden), forbidden).toBe(false);
  });

  it("keep the Swarm mapping pure like the plan: no engine client, apply or CLI", () => {
    const swarm = folderEdges().get("swarm") ?? new Map<string, string>();
    for (const forbidden of ["apply", "cli", "engine"]) expect(swarm.has(forbidden), forbidden).toBe(false);
  });
});
