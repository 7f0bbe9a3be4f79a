/**
 * CPU profile of the pure planner on a synthetic map (scenario d), around `plan()` only:
 * `node --import tsx bench/profile.ts SIZE [update|startup]`. Writes a .cpuprofile (open it in
 * Chrome DevTools or speedscope) under bench/out/ and prints the functions with the most self
 * time and the most total time.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadMap } from "../src/load-map.js";
import { plan } from "../src/plan/plan.js";
import { convergedObservedState, emptyObservedState } from "./synthetic.js";
import { berthMapYaml } from "./workload.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  fn: string;
  selfMs: number;
  totalMs: number;
}

/** Self and total time per function (by name and place), from a V8 CPU profile. */
export function hotSpots(profile: Profile, top = 15): { self: HotSpot[]; total: HotSpot[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const label = (n: ProfileNode) => {
    const file = n.callFrame.url.replace(/^.*\/(src|bench|node_modules)\//, "$1/");
    // Code run through tsx is one line per file: the line tells nothing there.
    const line = n.callFrame.lineNumber > 0 ? `:${n.callFrame.lineNumber + 1}` : "";
    return `${n.callFrame.functionName || "(anonymous)"} ${file}${line}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    const node = byId.get(id);
    if (node === undefined) return;
    self.set(label(node), (self.get(label(node)) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at) as ProfileNode;
      const l = label(n);
      if (seen.has(l)) continue;
      seen.add(l);
      total.set(l, (total.get(l) ?? 0) + ms);
    }
  });
  const rows = (m: Map<string, number>, key: "selfMs" | "totalMs") =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, ms]) => ({
        fn,
        selfMs: key === "selfMs" ? ms : (self.get(fn) ?? 0),
        totalMs: key === "totalMs" ? ms : (total.get(fn) ?? 0),
      }));
  return { self: rows(self, "selfMs"), total: rows(total, "totalMs") };
}

export async function profilePlanner(
  size: number,
  action: "update" | "startup",
  outDir: string,
): Promise<{ file: string; ms: number; self: HotSpot[]; total: HotSpot[] }> {
  const map = loadMap({
    files: ["bench-plan.yaml"],
    texts: { "bench-plan.yaml": berthMapYaml("bench-plan", size) },
    env: {},
  });
  const observed = action === "update" ? convergedObservedState(map) : emptyObservedState();
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 500 });
  await session.post("Profiler.start");
  const begin = performance.now();
  plan({ map, observed, options: { action } });
  const ms = performance.now() - begin;
  const { profile } = (await session.post("Profiler.stop")) as { profile: Profile };
  session.disconnect();
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `plan-${action}-${size}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  return { file, ms, ...hotSpots(profile) };
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "")) {
  const size = Number(process.argv[2] ?? 10_000);
  const action = process.argv[3] === "startup" ? "startup" : "update";
  const here = dirname(fileURLToPath(import.meta.url));
  const result = await profilePlanner(size, action, join(here, "out"));
  if (process.argv.includes("--json")) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    const show = (rows: HotSpot[]) =>
      rows
        .map(
          (r) =>
            `  ${r.selfMs.toFixed(0).padStart(7)} ms self ${r.totalMs.toFixed(0).padStart(7)} ms total  ${r.fn}`,
        )
        .join("\n");
    process.stdout.write(
      `plan(${action}) of ${size} containers: ${result.ms.toFixed(0)} ms; profile: ${result.file}\n` +
        `by self time:\n${show(result.self)}\nby total time:\n${show(result.total)}\n`,
    );
  }
}
