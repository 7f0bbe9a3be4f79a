/**
 * (a)'s CLI figure for two builds of berth in one interleaved run: the no-op `update` of the same
 * converged N-container map (with docker-compose's N containers of the same workload beside it,
 * as in (a)), by this build's bin/berth.js and by another build's.
 *
 *   node --import tsx bench/compare-cli.ts --other /tmp/berth-before/bin/berth.js [--runs 12] [--n 300]
 *     [--other-without-code-cache]
 *
 * Each build has a cache folder of its own, filled by an untimed first run (as (a)'s). Rounds
 * rotate which build goes first. Everything made is removed at the end and on Ctrl-C.
 * `--other-without-code-cache` adds the other build once more with a cache folder where its V8
 * code cache (`code-v1/`, berth before 2026-12-04) cannot be written: that cache's gain alone.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LABEL } from "../src/model/labels.js";
import { berthApi, writeBerthMap } from "./berth.js";
import { dockerClient, removeByLabel } from "./engine.js";
import { currentLoad, sourceState } from "./machine.js";
import { Compose, run } from "./processes.js";
import { fmtMs, fmtX, ratio, stat, type Stat } from "./stats.js";
import { composeYaml } from "./workload.js";

interface Args {
  other: string;
  runs: number;
  n: number;
  withoutCodeCache: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Partial<Args> = { runs: 12, n: 300, withoutCodeCache: false };
  for (let i = 0; i < argv.length; i++) {
    const [arg, value] = [argv[i], argv[i + 1]];
    if (arg === "--other-without-code-cache") {
      args.withoutCodeCache = true;
      continue;
    }
    if (arg === "--other" && value !== undefined) args.other = value;
    else if (arg === "--runs" && Number.isInteger(Number(value)) && Number(value) >= 3)
      args.runs = Number(value);
    else if (arg === "--n" && Number.isInteger(Number(value)) && Number(value) >= 5) args.n = Number(value);
    else throw new Error(`unknown or incomplete argument ${arg} (use --other BIN, --runs N ≥ 3, --n N ≥ 5)`);
    i++;
  }
  if (args.other === undefined) throw new Error("--other BIN: the other build's bin/berth.js is required");
  return args as Args;
}

const here = dirname(fileURLToPath(import.meta.url));
const log = (message: string) =>
  process.stderr.write(`compare ${new Date().toISOString().slice(11, 19)} ${message}\n`);

interface Build {
  name: string;
  bin: string;
  cacheDir: string;
  ms: number[];
}

/** One no-op `update` by `build`'s CLI; fails unless it exits 0 with nothing to do. */
async function noop(build: Build, mapFile: string): Promise<number> {
  const result = await run(process.execPath, [build.bin, "-f", mapFile, "update", "--progress", "quiet"], {
    env: { ...process.env, BERTH_CACHE_DIR: build.cacheDir },
  });
  if (!result.stderr.includes("No changes")) throw new Error(`${build.name}: not a no-op: ${result.stderr}`);
  return result.ms;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const tag = randomBytes(2).toString("hex");
  const outDir = join(here, "out", `compare-${tag}`);
  mkdirSync(outDir, { recursive: true });
  const docker = dockerClient();
  const mapName = `bb${tag}-cmp${args.n}`;
  const project = `bc${tag}cmp${args.n}`;
  const composeFile = join(outDir, `${project}.compose.yml`);
  writeFileSync(composeFile, composeYaml(args.n));
  const compose = new Compose(project, composeFile);
  const cleanUp = async () => {
    await removeByLabel(docker, `${LABEL.map}=${mapName}`);
    await compose.down().catch(() => undefined);
    await removeByLabel(docker, `com.docker.compose.project=${project}`);
  };
  process.once("SIGINT", () => void cleanUp().finally(() => process.exit(130)));
  const builds: Build[] = [
    { name: "other", bin: args.other, cacheDir: join(outDir, "cache-other"), ms: [] },
    { name: "this", bin: join(here, "..", "bin", "berth.js"), cacheDir: join(outDir, "cache-this"), ms: [] },
  ];
  if (args.withoutCodeCache) {
    const cacheDir = join(outDir, "cache-other-no-code");
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(join(cacheDir, "code-v1"), "a file where the code cache's folder would be\n");
    builds.splice(1, 0, { name: "other without code cache", bin: args.other, cacheDir, ms: [] });
  }
  try {
    const mapFile = writeBerthMap(outDir, mapName, args.n);
    log(`N=${args.n}: converging berth and docker-compose (not timed); load ${currentLoad().toFixed(1)}`);
    if (!(await berthApi(mapName, args.n, "startup")).result.ok) throw new Error("berth startup failed");
    await compose.up();
    for (const build of builds) await noop(build, mapFile);
    const loadStart = currentLoad();
    for (let round = 0; round < args.runs; round++) {
      const order = [...builds.slice(round % builds.length), ...builds.slice(0, round % builds.length)];
      for (const build of order) build.ms.push(await noop(build, mapFile));
      log(
        `round ${round + 1}/${args.runs}: ${builds.map((b) => `${b.name} ${fmtMs(b.ms.at(-1) ?? 0)}`).join(", ")}`,
      );
    }
    report(args, builds, loadStart);
  } finally {
    await cleanUp();
  }
}

function report(args: Args, builds: Build[], loadStart: number): void {
  const stats = builds.map((b) => ({ name: b.name, stat: stat(b.ms) }));
  const other = (stats[0] as { stat: Stat }).stat;
  const row = (s: { name: string; stat: Stat }) => {
    const r = ratio(s.stat, other);
    return `| ${s.name} | ${fmtMs(s.stat.min)} / ${fmtMs(s.stat.median)} | ${fmtX(r.min)} / ${fmtX(r.median)} |`;
  };
  process.stdout.write(
    [
      `N=${args.n}, ${args.runs} runs each, interleaved; this build: ${sourceState()}; other: ${args.other}; load ${loadStart.toFixed(1)} → ${currentLoad().toFixed(1)}`,
      "",
      "| build | no-op update, min / median | ÷ other |",
      "| --- | --- | --- |",
      ...stats.map(row),
      "",
      ...stats.map((s) => `runs of ${s.name} (ms): ${s.stat.runs.map((v) => v.toFixed(0)).join(", ")}`),
      "",
    ].join("\n"),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
