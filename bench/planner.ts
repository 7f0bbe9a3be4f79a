/**
 * Scenario (d), one map size per process: the pure planner on a synthetic map of N containers.
 * Run by bench/run.ts as `node --expose-gc --import tsx bench/planner.ts N RUNS`; prints one JSON
 * line. A fresh process per size keeps the memory figures of one size apart from the others; the
 * bench runs several rounds of processes, sizes interleaved, and merges them (mergePlannerResults).
 *
 * - time: `plan()` alone (the map is loaded and the observed state built before), min/median of
 *   RUNS runs after a forced GC each;
 * - memory: the growth of the process's RSS while `plan()` runs, sampled every 2 ms by a worker
 *   thread (the planner is synchronous, so the main thread cannot sample), and the V8 heap growth
 *   (heapUsed after `plan()` without a GC, minus before), and what the plan retains after a GC.
 */
import { Worker } from "node:worker_threads";
import { loadMap } from "../src/load-map.js";
import { plan } from "../src/plan/plan.js";
import type { Plan } from "../src/plan/plan-types.js";
import type { ObservedState } from "../src/observe/observed-state.js";
import { convergedObservedState, emptyObservedState } from "./synthetic.js";
import { berthMapYaml } from "./workload.js";

export interface PlannerCase {
  /** Converged engine, action update: every container compared, no steps. */
  update: PlannerFigures;
  /** Nothing on the engine, action startup: every object created. */
  startup: PlannerFigures;
}

export interface PlannerFigures {
  /** Wall time of plan(), ms. */
  ms: number[];
  /** The first run of each process (JIT not warmed up, as in a CLI), ms. */
  coldMs: number[];
  /** CPU time (user + system, all threads: GC helpers too) of plan(), ms. */
  cpuMs: number[];
  steps: number;
  /** Growth of the process RSS during plan() (sampled), bytes. */
  peakRssGrowth: number;
  /** heapUsed right after plan() (no GC) minus before, bytes. */
  heapGrowth: number;
  /** heapUsed after a GC with the plan still referenced, minus before, bytes. */
  retained: number;
  /** The process's RSS high-water mark during plan(), bytes. */
  peakRss: number;
}

export interface PlannerResult {
  size: number;
  loadMapMs: number;
  observedMs: number;
  cases: PlannerCase;
}

/** Processes per size in (d): the sizes take turns, so a change in the machine's load hits them alike. */
export const PLANNER_ROUNDS = 3;

/**
 * One size's figures from several processes: every timed run counts; memory is the worst seen.
 */
export function mergePlannerResults(results: readonly PlannerResult[]): PlannerResult {
  const [first, ...rest] = results;
  if (first === undefined) throw new Error("no planner results to merge");
  const merge = (a: PlannerFigures, b: PlannerFigures): PlannerFigures => ({
    ms: [...a.ms, ...b.ms],
    coldMs: [...a.coldMs, ...b.coldMs],
    cpuMs: [...a.cpuMs, ...b.cpuMs],
    steps: a.steps,
    peakRssGrowth: Math.max(a.peakRssGrowth, b.peakRssGrowth),
    heapGrowth: Math.max(a.heapGrowth, b.heapGrowth),
    retained: Math.max(a.retained, b.retained),
    peakRss: Math.max(a.peakRss, b.peakRss),
  });
  return rest.reduce((acc, r) => {
    if (r.size !== acc.size) throw new Error(`cannot merge sizes ${acc.size} and ${r.size}`);
    return {
      size: acc.size,
      loadMapMs: Math.min(acc.loadMapMs, r.loadMapMs),
      observedMs: Math.min(acc.observedMs, r.observedMs),
      cases: {
        update: merge(acc.cases.update, r.cases.update),
        startup: merge(acc.cases.startup, r.cases.startup),
      },
    };
  }, first);
}

const gc = (globalThis as { gc?: () => void }).gc;

function collect(): void {
  if (gc === undefined) throw new Error("run with --expose-gc");
  gc();
  gc();
}

const SAMPLER = `
const { workerData } = require("node:worker_threads");
const flag = new Int32Array(workerData.flag);
const max = new Float64Array(workerData.max);
for (;;) {
  const state = Atomics.load(flag, 0);
  if (state === 2) break;
  if (state === 1) { const rss = process.memoryUsage.rss(); if (rss > max[0]) max[0] = rss; Atomics.store(flag, 1, 1); }
  Atomics.wait(flag, 2, 0, 2);
}
`;

class RssSampler {
  private readonly flag = new Int32Array(new SharedArrayBuffer(12));
  private readonly max = new Float64Array(new SharedArrayBuffer(8));
  private readonly worker: Worker;

  constructor() {
    this.worker = new Worker(SAMPLER, {
      eval: true,
      workerData: { flag: this.flag.buffer, max: this.max.buffer },
    });
  }

  /** Runs fn while sampling; returns its value and the RSS high-water mark seen. */
  measure<T>(fn: () => T): { value: T; peak: number; before: number } {
    const before = process.memoryUsage.rss();
    this.max[0] = before;
    Atomics.store(this.flag, 1, 0);
    Atomics.store(this.flag, 0, 1);
    // Wait for the sampler's first sample, so the window covers all of fn.
    const deadline = Date.now() + 1000;
    while (Atomics.load(this.flag, 1) === 0 && Date.now() < deadline) Atomics.wait(this.flag, 2, 0, 1);
    const value = fn();
    const after = process.memoryUsage.rss();
    Atomics.store(this.flag, 0, 0);
    return { value, peak: Math.max(this.max[0], after), before };
  }

  async close(): Promise<void> {
    Atomics.store(this.flag, 0, 2);
    Atomics.notify(this.flag, 2);
    await this.worker.terminate();
  }
}

function figures(
  runs: number,
  sampler: RssSampler,
  make: () => Plan,
  check: (p: Plan) => void,
): PlannerFigures {
  const ms: number[] = [];
  const cpuMs: number[] = [];
  let steps = 0;
  for (let i = 0; i < runs; i++) {
    collect();
    const cpu = process.cpuUsage();
    const begin = performance.now();
    const p = make();
    ms.push(performance.now() - begin);
    const used = process.cpuUsage(cpu);
    cpuMs.push((used.user + used.system) / 1000);
    check(p);
    steps = p.steps.length;
  }
  // Memory in a run of its own, after the timed ones (the sampler thread costs CPU).
  collect();
  const heapBefore = process.memoryUsage().heapUsed;
  const { value: p, peak, before } = sampler.measure(make);
  const heapAfter = process.memoryUsage().heapUsed;
  collect();
  const retainedAfter = process.memoryUsage().heapUsed;
  check(p);
  return {
    ms,
    coldMs: ms.slice(0, 1),
    cpuMs,
    steps,
    peakRssGrowth: peak - before,
    heapGrowth: heapAfter - heapBefore,
    retained: retainedAfter - heapBefore,
    peakRss: peak,
  };
}

export async function measurePlanner(size: number, runs: number): Promise<PlannerResult> {
  const text = berthMapYaml("bench-plan", size);
  let begin = performance.now();
  const map = loadMap({ files: ["bench-plan.yaml"], texts: { "bench-plan.yaml": text }, env: {} });
  const loadMapMs = performance.now() - begin;
  begin = performance.now();
  const converged: ObservedState = convergedObservedState(map);
  const observedMs = performance.now() - begin;
  const empty = emptyObservedState();
  const sampler = new RssSampler();
  try {
    const update = figures(
      runs,
      sampler,
      () => plan({ map, observed: converged, options: { action: "update" } }),
      (p) => {
        if (p.steps.length !== 0 || p.changes.length !== 0)
          throw new Error(`synthetic converged state: expected an empty plan, got ${p.steps.length} step(s)`);
      },
    );
    const startup = figures(
      runs,
      sampler,
      () => plan({ map, observed: empty, options: { action: "startup" } }),
      (p) => {
        const expected = 2 * size + size / 5; // create + start each container, create each volume
        if (p.steps.length !== expected)
          throw new Error(`startup plan: expected ${expected} steps, got ${p.steps.length}`);
      },
    );
    return { size, loadMapMs, observedMs, cases: { update, startup } };
  } finally {
    await sampler.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "")) {
  const size = Number(process.argv[2]);
  const runs = Number(process.argv[3] ?? 3);
  if (!Number.isInteger(size) || size <= 0) throw new Error("usage: planner.ts SIZE [RUNS]");
  const result = await measurePlanner(size, runs);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
