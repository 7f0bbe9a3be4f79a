import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DockerEngine } from "../src/engine/docker-engine.js";
import { loadMap } from "../src/load-map.js";
import type { PlanAction } from "../src/plan/plan-types.js";
import { reconcile } from "../src/reconcile.js";
import { LABEL } from "../src/model/labels.js";
import { berthCli } from "./berth.js";
import { removeByLabel } from "./engine.js";
import type { BenchContext } from "./scenarios.js";
import { ratio, stat, type Ratio, type Stat } from "./stats.js";
import { IMAGE } from "./workload.js";

/**
 * (e) A no-op `update` of a map whose N images berth builds (each from a small folder context)
 * against the same map with images it only uses (present on the engine, as after a pull): the
 * built map must make no build call, and its time stay within 10% of the other's. What the built
 * map adds is reading and hashing the contexts and comparing them with the images' labels.
 */
export interface BuiltNoopResult {
  n: number;
  /** Files in each context (the Dockerfile included). */
  filesPerContext: number;
  builtApi: Stat;
  pulledApi: Stat;
  builtCli: Stat;
  pulledCli: Stat;
  /** Build calls of all the timed no-op updates of the built map (API runs, counted by berth). */
  buildCalls: number;
  /** Engine calls of one no-op update of each (API). */
  builtCalls: number;
  pulledCalls: number;
  apiRatio: Ratio;
  cliRatio: Ratio;
}

const FILES_PER_CONTEXT = 8;
const API_PER_ROUND = 5;

/** The two maps' files: N configs each, one built from its own folder, the other from IMAGE. */
function writeMaps(ctx: BenchContext, builtName: string, pulledName: string, n: number) {
  const dir = join(ctx.outDir, builtName);
  mkdirSync(dir, { recursive: true });
  const built = [`name: ${builtName}`, "containers:"];
  const pulled = [`name: ${pulledName}`, "containers:"];
  for (let i = 0; i < n; i++) {
    const context = join(dir, `ctx${i}`);
    mkdirSync(join(context, "src"), { recursive: true });
    writeFileSync(join(context, "Dockerfile"), `FROM ${IMAGE}\nCOPY src /app/\nCMD ["sleep", "100000"]\n`);
    writeFileSync(join(context, ".dockerignore"), "*.tmp\n");
    for (let f = 0; f < FILES_PER_CONTEXT - 2; f++)
      writeFileSync(join(context, "src", `file${f}.txt`), `${"x".repeat(200 * (f + 1))}\n${i}\n`);
    built.push(`  i${i}:`, `    image: bench/${builtName}-i${i}:1`, `    build: ctx${i}`);
    pulled.push(`  i${i}:`, `    image: ${IMAGE}`, `    command: [sleep, "100000"]`);
  }
  const builtFile = join(dir, "map.yaml");
  const pulledFile = join(dir, "pulled.yaml");
  writeFileSync(builtFile, `${built.join("\n")}\n`);
  writeFileSync(pulledFile, `${pulled.join("\n")}\n`);
  return { builtFile, pulledFile };
}

/** loadMap + reconcile from the map file, as `berth ACTION` does, with a fresh engine client. */
async function apiRun(file: string, action: PlanAction) {
  const engine = new DockerEngine();
  const begin = performance.now();
  const map = loadMap({ files: [file] });
  const { plan, result } = await reconcile(map, { default: engine }, { action, parallel: 8 });
  const ms = performance.now() - begin;
  if (result?.ok !== true) throw new Error(`(e) ${action} of ${file} failed`);
  return { ms, steps: plan.steps.length, calls: engine.calls.snapshot(), total: engine.calls.total };
}

export async function builtNoop(ctx: BenchContext, n: number): Promise<BuiltNoopResult> {
  const builtName = `bb${ctx.tag}-e${n}`;
  const pulledName = `bb${ctx.tag}-p${n}`;
  ctx.created.maps.add(builtName);
  ctx.created.maps.add(pulledName);
  const { builtFile, pulledFile } = writeMaps(ctx, builtName, pulledName, n);
  try {
    return await measure(ctx, n, builtFile, pulledFile);
  } finally {
    await removeByLabel(ctx.docker, `${LABEL.map}=${builtName}`);
    await removeByLabel(ctx.docker, `${LABEL.map}=${pulledName}`);
    await removeImages(ctx, builtName);
  }
}

/** The images the map built (by berth's label), every tag of them. */
async function removeImages(ctx: BenchContext, mapName: string): Promise<void> {
  const images = await ctx.docker.listImages({
    filters: JSON.stringify({ label: [`${LABEL.map}=${mapName}`] }),
  });
  for (const image of images)
    await ctx.docker
      .getImage(image.Id)
      .remove({ force: true })
      .catch(() => undefined);
}

async function measure(
  ctx: BenchContext,
  n: number,
  builtFile: string,
  pulledFile: string,
): Promise<BuiltNoopResult> {
  ctx.log(`(e) N=${n}: building and starting both maps (not timed)`);
  for (const file of [builtFile, pulledFile]) await apiRun(file, "startup");
  // One untimed no-op of each: warm caches alike.
  for (const file of [builtFile, pulledFile]) await apiRun(file, "update");
  const builtApi: number[] = [];
  const pulledApi: number[] = [];
  const builtCli: number[] = [];
  const pulledCli: number[] = [];
  let buildCalls = 0;
  let builtCalls = 0;
  let pulledCalls = 0;
  const noop = async (file: string) => {
    const r = await apiRun(file, "update");
    if (r.steps !== 0) throw new Error(`(e) the no-op update of ${file} planned ${r.steps} steps`);
    return r;
  };
  const apiPair = async (builtFirst: boolean) => {
    for (const built of builtFirst ? [true, false] : [false, true]) {
      const r = await noop(built ? builtFile : pulledFile);
      if (built) {
        builtApi.push(r.ms);
        buildCalls += r.calls["build image"] ?? 0;
        builtCalls = r.total;
      } else {
        pulledApi.push(r.ms);
        pulledCalls = r.total;
      }
    }
  };
  const cliPair = async (builtFirst: boolean) => {
    for (const built of builtFirst ? [true, false] : [false, true]) {
      const ms = await berthCli(ctx.berthBin, built ? builtFile : pulledFile, "update");
      (built ? builtCli : pulledCli).push(ms);
    }
  };
  // The two maps differ by a few ms on a shared machine whose noise is tens of ms: many
  // interleaved rounds, each order as often as the other. An in-process run is cheap, so it gets
  // API_PER_ROUND pairs per CLI pair.
  const rounds = Math.max(ctx.runs * 4, 12);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < API_PER_ROUND; i++) await apiPair((round + i) % 2 === 0);
    await cliPair(round % 2 === 0);
    if ((round + 1) % 4 === 0)
      ctx.log(
        `(e) N=${n} round ${round + 1}/${rounds}: built ${builtApi.at(-1)?.toFixed(0)} ms, pulled ${pulledApi.at(-1)?.toFixed(0)} ms (API); built ${builtCli.at(-1)?.toFixed(0)} ms, pulled ${pulledCli.at(-1)?.toFixed(0)} ms (CLI)`,
      );
  }
  const result = {
    n,
    filesPerContext: FILES_PER_CONTEXT,
    builtApi: stat(builtApi),
    pulledApi: stat(pulledApi),
    builtCli: stat(builtCli),
    pulledCli: stat(pulledCli),
    buildCalls,
    builtCalls,
    pulledCalls,
  };
  return {
    ...result,
    apiRatio: ratio(result.builtApi, result.pulledApi),
    cliRatio: ratio(result.builtCli, result.pulledCli),
  };
}
