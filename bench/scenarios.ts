import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type Docker from "dockerode";
import { LABEL } from "../src/model/labels.js";
import { berthApi, berthCli, berthPlan, writeBerthMap, type BerthRun } from "./berth.js";
import { containersByLabel, environmentOf, removeByLabel } from "./engine.js";
import { Floor, FLOOR_LABEL } from "./floor.js";
import { mergePlannerResults, PLANNER_ROUNDS, type PlannerResult } from "./planner.js";
import type { HotSpot } from "./profile.js";
import { Compose, run } from "./processes.js";
import type { CountingProxy } from "./proxy.js";
import { stat, timed, type Stat } from "./stats.js";
import { composeYaml, groupMembers, workload } from "./workload.js";

export interface BenchContext {
  runId: string;
  /** Short random tag in every name this run gives to engine objects. */
  tag: string;
  outDir: string;
  runs: number;
  docker: Docker;
  proxy: CountingProxy;
  berthBin: string;
  repoRoot: string;
  log: (message: string) => void;
  /** Everything made so far, for the final clean-up. */
  created: { maps: Set<string>; projects: Set<string>; floors: Set<string> };
}

const COMPOSE_PROJECT_LABEL = "com.docker.compose.project";

// ---- shared helpers ------------------------------------------------------------------------------

function rotate<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

async function removeMap(ctx: BenchContext, mapName: string): Promise<void> {
  await removeByLabel(ctx.docker, `${LABEL.map}=${mapName}`);
}

async function removeProject(ctx: BenchContext, project: string): Promise<void> {
  await removeByLabel(ctx.docker, `${COMPOSE_PROJECT_LABEL}=${project}`);
}

async function removeFloor(ctx: BenchContext, prefix: string): Promise<void> {
  await removeByLabel(ctx.docker, `${FLOOR_LABEL}=${prefix}`);
}

/** Every container with the label runs; returns their name → id. */
async function expectRunning(
  ctx: BenchContext,
  label: string,
  n: number,
  what: string,
): Promise<Map<string, string>> {
  const containers = await containersByLabel(ctx.docker, label);
  const running = [...containers.values()].filter((c) => c.state === "running");
  if (running.length !== n) {
    const states = [...containers.values()].map((c) => `${c.name}=${c.state}`).slice(0, 10);
    throw new Error(
      `${what}: expected ${n} running containers, found ${running.length} (${states.join(", ")})`,
    );
  }
  return new Map(running.map((c) => [c.name, c.id]));
}

async function berthContainers(ctx: BenchContext, mapName: string, n: number, what: string) {
  const all = await expectRunning(ctx, `${LABEL.map}=${mapName}`, n, what);
  return all;
}

function composeFile(ctx: BenchContext, project: string, n: number): Compose {
  const file = join(ctx.outDir, `${project}.compose.yml`);
  writeFileSync(file, composeYaml(n));
  ctx.created.projects.add(project);
  return new Compose(project, file);
}

// ---- (a) no-op update ----------------------------------------------------------------------------

export interface NoopResult {
  n: number;
  berthApi: Stat;
  berthCli: Stat;
  /** The CLI with `--no-cache`: parsing the map file as on its first run. */
  berthCliUncached: Stat;
  compose: Stat;
  /** Engine calls of one berth no-op update (API, counted by berth), max over the runs. */
  berthCalls: number;
  berthCallsByOperation: Record<string, number>;
  /** The same, the CLI through the counting proxy. */
  berthCliCalls: number;
  berthCliCallsByOperation: Record<string, number>;
  composeCalls: number;
  composeCallsByOperation: Record<string, number>;
  /** Time of the first (converging) run of each, for context. */
  convergeMs: { berth: number; compose: number };
  /** Process start-up alone: `berth --version` and `docker-compose version`. */
  berthVersion: Stat;
  composeVersion: Stat;
}

export async function noopUpdate(ctx: BenchContext, n: number): Promise<NoopResult> {
  const mapName = `bb${ctx.tag}-a${n}`;
  const project = `bc${ctx.tag}a${n}`;
  ctx.created.maps.add(mapName);
  const compose = composeFile(ctx, project, n);
  const mapFile = writeBerthMap(ctx.outDir, mapName, n);
  const projectLabel = `${COMPOSE_PROJECT_LABEL}=${project}`;
  try {
    ctx.log(`(a) N=${n}: converging berth and docker-compose (not timed)`);
    const berthConverge = await berthApi(mapName, n, "startup");
    if (!berthConverge.result.ok) throw new Error(`(a) berth startup at N=${n} failed`);
    const composeConverge = await compose.up();
    await berthContainers(ctx, mapName, n, `(a) berth N=${n}`);
    const composeIds = await expectRunning(ctx, projectLabel, n, `(a) compose N=${n}`);
    // One untimed no-op of each: warm caches on both sides alike.
    await berthCli(ctx.berthBin, mapFile, "update");
    await compose.up();

    const api: number[] = [];
    const cli: number[] = [];
    const cliUncached: number[] = [];
    const comp: number[] = [];
    const berthVersion: number[] = [];
    const composeVersion: number[] = [];
    let calls = 0;
    let callsByOperation: Record<string, number> = {};
    const variants = [
      async () => {
        const r: BerthRun = await berthApi(mapName, n, "update");
        if (r.plan.steps.length !== 0 || !r.result.ok)
          throw new Error(`(a) berth no-op at N=${n} was not a no-op: ${r.plan.steps.length} steps`);
        api.push(r.ms);
        if (r.totalCalls >= calls) {
          calls = r.totalCalls;
          callsByOperation = r.calls;
        }
      },
      async () => {
        cli.push(await berthCli(ctx.berthBin, mapFile, "update"));
      },
      async () => {
        cliUncached.push(await berthCli(ctx.berthBin, mapFile, "update", { noCache: true }));
      },
      async () => {
        comp.push((await compose.up()).ms);
      },
      async () => {
        berthVersion.push((await run(process.execPath, [ctx.berthBin, "--version"])).ms);
        composeVersion.push((await run("docker-compose", ["version", "--short"])).ms);
      },
    ];
    for (let round = 0; round < ctx.runs; round++) {
      for (const variant of rotate(variants, round)) await variant();
      ctx.log(
        `(a) N=${n} round ${round + 1}/${ctx.runs}: berth API ${api.at(-1)?.toFixed(0)} ms, CLI ${cli.at(-1)?.toFixed(0)} ms, compose ${comp.at(-1)?.toFixed(0)} ms`,
      );
    }
    // Neither recreated anything.
    const after = await expectRunning(ctx, projectLabel, n, `(a) compose N=${n} after`);
    for (const [name, id] of composeIds)
      if (after.get(name) !== id) throw new Error(`(a) docker-compose recreated ${name} on a no-op`);
    const plan = await berthPlan(mapName, n, "update");
    if (plan.steps.length !== 0) throw new Error(`(a) berth N=${n}: the map no longer matches`);

    // Engine calls of the two CLIs, counted by the proxy (not timed).
    ctx.proxy.reset();
    await berthCli(ctx.berthBin, mapFile, "update", { dockerHost: ctx.proxy.dockerHost });
    const berthCliCalls = ctx.proxy.total();
    const berthCliCallsByOperation = ctx.proxy.byOperation();
    ctx.proxy.reset();
    await compose.up(ctx.proxy.dockerHost);
    const composeCalls = ctx.proxy.total();
    const composeCallsByOperation = ctx.proxy.byOperation();
    ctx.proxy.reset();

    return {
      n,
      berthApi: stat(api),
      berthCli: stat(cli),
      berthCliUncached: stat(cliUncached),
      compose: stat(comp),
      berthCalls: calls,
      berthCallsByOperation: callsByOperation,
      berthCliCalls,
      berthCliCallsByOperation,
      composeCalls,
      composeCallsByOperation,
      convergeMs: { berth: berthConverge.ms, compose: composeConverge.ms },
      berthVersion: stat(berthVersion),
      composeVersion: stat(composeVersion),
    };
  } finally {
    await removeMap(ctx, mapName);
    await removeProject(ctx, project);
  }
}

// ---- (b) first startup ---------------------------------------------------------------------------

export interface StartupResult {
  n: number;
  berthApi: Stat;
  berthCli: Stat;
  floor: Stat;
  compose: Stat;
  /** berth API: time before the apply began (load, lock, observe, plan). */
  berthBeforeApply: Stat;
  berthCalls: number;
  floorCalls: number;
}

export async function firstStartup(ctx: BenchContext, n: number): Promise<StartupResult> {
  const mapName = `bb${ctx.tag}-b${n}`;
  const project = `bc${ctx.tag}b${n}`;
  const prefix = `bf${ctx.tag}-b${n}`;
  ctx.created.maps.add(mapName);
  ctx.created.floors.add(prefix);
  const compose = composeFile(ctx, project, n);
  const mapFile = writeBerthMap(ctx.outDir, mapName, n);
  const api: number[] = [];
  const before: number[] = [];
  const cli: number[] = [];
  const floor: number[] = [];
  const comp: number[] = [];
  let berthCalls = 0;
  const floorCalls = n * 2 + n / 5;
  const berthDone = async (what: string) => {
    await berthContainers(ctx, mapName, n, what);
    const plan = await berthPlan(mapName, n, "update");
    if (plan.steps.length !== 0) throw new Error(`${what}: the next plan is not empty`);
    await removeMap(ctx, mapName);
  };
  const variants = [
    async () => {
      const r = await berthApi(mapName, n, "startup");
      if (!r.result.ok) throw new Error("(b) berth startup failed");
      api.push(r.ms);
      before.push(r.beforeApplyMs);
      berthCalls = r.totalCalls;
      await berthDone("(b) berth API");
    },
    async () => {
      cli.push(await berthCli(ctx.berthBin, mapFile, "startup"));
      await berthDone("(b) berth CLI");
    },
    async () => {
      const f = new Floor(ctx.docker, prefix, n, prefix);
      floor.push((await timed(() => f.startup())).ms);
      await expectRunning(ctx, `${FLOOR_LABEL}=${prefix}`, n, "(b) floor");
      await removeFloor(ctx, prefix);
    },
    async () => {
      comp.push((await compose.up()).ms);
      await expectRunning(ctx, `${COMPOSE_PROJECT_LABEL}=${project}`, n, "(b) compose");
      await removeProject(ctx, project);
    },
  ];
  try {
    // Warm-up round, not timed: the first container of a run on a cold engine is slower.
    ctx.log(`(b) N=${n}: warm-up (not timed)`);
    const warm = new Floor(ctx.docker, prefix, n, prefix);
    await warm.startup();
    await removeFloor(ctx, prefix);
    for (let round = 0; round < ctx.runs; round++) {
      for (const variant of rotate(variants, round)) await variant();
      ctx.log(
        `(b) N=${n} round ${round + 1}/${ctx.runs}: berth API ${api.at(-1)?.toFixed(0)} ms, CLI ${cli.at(-1)?.toFixed(0)} ms, floor ${floor.at(-1)?.toFixed(0)} ms, compose ${comp.at(-1)?.toFixed(0)} ms`,
      );
    }
    return {
      n,
      berthApi: stat(api),
      berthCli: stat(cli),
      floor: stat(floor),
      compose: stat(comp),
      berthBeforeApply: stat(before),
      berthCalls,
      floorCalls,
    };
  } finally {
    await removeMap(ctx, mapName);
    await removeFloor(ctx, prefix);
    await removeProject(ctx, project);
  }
}

// ---- (c) one environment change at a root ---------------------------------------------------------

export interface ChangeResult {
  n: number;
  berth: Stat;
  floor: Stat;
  berthBeforeApply: Stat;
  /** Every berth run recreated exactly the root and its four dependents, and the next plan was empty. */
  converged: boolean;
  checks: string[];
  berthCalls: number;
  floorCalls: number;
}

export async function rootChange(ctx: BenchContext, n: number): Promise<ChangeResult> {
  const mapName = `bb${ctx.tag}-c${n}`;
  const prefix = `bf${ctx.tag}-c${n}`;
  ctx.created.maps.add(mapName);
  ctx.created.floors.add(prefix);
  const group = 0;
  const members = groupMembers(group);
  const berthNames = new Set(members.map((m) => `${mapName}.${m}`));
  const floorObj = new Floor(ctx.docker, prefix, n, prefix);
  const floorNames = new Set(members.map((m) => floorObj.containerName(m)));
  const berthTimes: number[] = [];
  const before: number[] = [];
  const floorTimes: number[] = [];
  const checks: string[] = [];
  let berthCalls = 0;
  try {
    ctx.log(`(c) N=${n}: starting berth's map and the floor's containers (not timed)`);
    const start = await berthApi(mapName, n, "startup", { [group]: "1" });
    if (!start.result.ok) throw new Error("(c) berth startup failed");
    await floorObj.startup({ [group]: "1" });

    const expectReplaced = (
      what: string,
      beforeIds: Map<string, string>,
      afterIds: Map<string, string>,
      replaced: Set<string>,
    ) => {
      for (const [name, id] of beforeIds) {
        const now = afterIds.get(name);
        if (now === undefined) throw new Error(`${what}: ${name} is gone`);
        if (replaced.has(name) && now === id) throw new Error(`${what}: ${name} was not recreated`);
        if (!replaced.has(name) && now !== id)
          throw new Error(`${what}: ${name} was recreated but should not be`);
      }
    };

    const variants = [
      async (value: string) => {
        const ids = await berthContainers(ctx, mapName, n, "(c) berth before");
        const r = await berthApi(mapName, n, "update", { [group]: value });
        berthTimes.push(r.ms);
        before.push(r.beforeApplyMs);
        berthCalls = r.totalCalls;
        if (!r.result.ok)
          throw new Error(
            `(c) berth update failed: ${JSON.stringify(r.result.results.filter((x) => x.status !== "done"))}`,
          );
        const recreated = r.plan.changes.filter((c) => c.change === "recreate").map((c) => c.object.name);
        const others = r.plan.changes.filter((c) => c.change !== "recreate");
        if (
          recreated.length !== members.length ||
          !recreated.every((name) => berthNames.has(name)) ||
          others.length > 0
        )
          throw new Error(`(c) berth planned ${JSON.stringify(r.plan.summary)}: ${recreated.join(", ")}`);
        const afterIds = await berthContainers(ctx, mapName, n, "(c) berth after");
        expectReplaced("(c) berth", ids, afterIds, berthNames);
        const env = await environmentOf(ctx.docker, `${mapName}.g${group}r`);
        if (env.ROOT_VALUE !== value)
          throw new Error(`(c) berth: ROOT_VALUE is ${env.ROOT_VALUE}, not ${value}`);
        const next = await berthPlan(mapName, n, "update", { [group]: value });
        if (next.steps.length !== 0)
          throw new Error(`(c) berth: the next plan has ${next.steps.length} steps`);
        checks.push(
          `berth ROOT_VALUE=${value}: recreated ${recreated.length} (the root and its 4 linked dependents), ${n - recreated.length} kept, all running, next plan empty`,
        );
      },
      async (value: string) => {
        const ids = await expectRunning(ctx, `${FLOOR_LABEL}=${prefix}`, n, "(c) floor before");
        floorTimes.push((await timed(() => floorObj.recreateGroup(group, { [group]: value }))).ms);
        const afterIds = await expectRunning(ctx, `${FLOOR_LABEL}=${prefix}`, n, "(c) floor after");
        expectReplaced("(c) floor", ids, afterIds, floorNames);
        const env = await environmentOf(ctx.docker, floorObj.containerName(`g${group}r`));
        if (env.ROOT_VALUE !== value)
          throw new Error(`(c) floor: ROOT_VALUE is ${env.ROOT_VALUE}, not ${value}`);
      },
    ];
    for (let round = 0; round < ctx.runs; round++) {
      const value = String(round + 2);
      for (const variant of rotate(variants, round)) await variant(value);
      ctx.log(
        `(c) N=${n} round ${round + 1}/${ctx.runs}: berth ${berthTimes.at(-1)?.toFixed(0)} ms, floor ${floorTimes.at(-1)?.toFixed(0)} ms`,
      );
    }
    return {
      n,
      berth: stat(berthTimes),
      floor: stat(floorTimes),
      berthBeforeApply: stat(before),
      converged: true,
      checks,
      berthCalls,
      floorCalls: members.length * 5,
    };
  } finally {
    await removeMap(ctx, mapName);
    await removeFloor(ctx, prefix);
  }
}

// ---- (d) the pure planner --------------------------------------------------------------------------

function runChild(ctx: BenchContext, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ctx.repoRoot, stdio: ["ignore", "pipe", "inherit"] });
    const out: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`${args.join(" ")} exited with ${code}`));
      else resolve(Buffer.concat(out).toString("utf8").trim().split("\n").at(-1) ?? "");
    });
  });
}

/**
 * Scenario (d): each size planned in a process of its own, PLANNER_ROUNDS times with the sizes
 * interleaved (rotating order); each size's processes merged. A ratio of two sizes' times is only
 * as good as the two were measured under the same conditions.
 */
export async function planners(ctx: BenchContext, sizes: readonly number[]): Promise<PlannerResult[]> {
  const bySize = new Map<number, PlannerResult[]>(sizes.map((size) => [size, []]));
  for (let round = 0; round < PLANNER_ROUNDS; round++) {
    for (const size of rotate(sizes, round)) {
      ctx.log(`(d) round ${round + 1}/${PLANNER_ROUNDS}: planning ${size} containers (a process of its own)`);
      const line = await runChild(ctx, [
        "--expose-gc",
        "--import",
        "tsx",
        "bench/planner.ts",
        String(size),
        String(ctx.runs),
      ]);
      bySize.get(size)?.push(JSON.parse(line) as PlannerResult);
    }
  }
  return sizes.map((size) => mergePlannerResults(bySize.get(size) ?? []));
}

export async function plannerProfile(
  ctx: BenchContext,
  size: number,
  action: "update" | "startup",
): Promise<{ file: string; ms: number; self: HotSpot[]; total: HotSpot[] }> {
  ctx.log(`(d) profiling plan(${action}) of ${size} containers`);
  const line = await runChild(ctx, ["--import", "tsx", "bench/profile.ts", String(size), action, "--json"]);
  return JSON.parse(line) as { file: string; ms: number; self: HotSpot[]; total: HotSpot[] };
}

/** Sizes of a workload, for the report. */
export function workloadSummary(n: number): string {
  const containers = workload(n);
  return `${containers.length} containers in ${n / 5} groups`;
}
