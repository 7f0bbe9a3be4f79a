/**
 * `npm run bench`: berth against docker-compose and against the raw engine ("the floor"), in one
 * run, on the test engine. Writes a dated section to BENCHMARKS.md and prints a one-line JSON
 * summary last (only that line with --json). See BENCHMARKS.md for what is measured and how.
 *
 *   node --expose-gc --import tsx bench/run.ts [--json] [--runs N] [--only a,b,c,d,e] [--quick] [--no-write]
 *
 * Exit code: 0 when every scenario ran (whether or not its targets pass), 1 when one failed.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LABEL } from "../src/model/labels.js";
import { builtNoop } from "./built-images.js";
import { dockerClient, removeByLabel } from "./engine.js";
import { FLOOR_LABEL } from "./floor.js";
import { currentLoad, describeMachine } from "./machine.js";
import { Compose } from "./processes.js";
import { startCountingProxy } from "./proxy.js";
import { evaluate, jsonSummary, markdownSection, type BenchResults } from "./report.js";
import {
  firstStartup,
  noopUpdate,
  planners,
  plannerProfile,
  rootChange,
  type BenchContext,
} from "./scenarios.js";

const FULL = { noop: [10, 100, 300], startup: 50, change: 50, planner: [1_000, 10_000, 20_000], built: 20 };
/** --quick: small sizes, to check the bench itself (most targets are then "not measured"). */
const QUICK = { noop: [10], startup: 10, change: 10, planner: [500, 1_000], built: 5 };
const SCENARIOS = ["a", "b", "c", "d", "e"];
const RUNS_MARKER = "<!-- bench:runs (newest first; `npm run bench` adds a section here) -->";

interface Args {
  json: boolean;
  quick: boolean;
  runs: number;
  only: Set<string>;
  write: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { json: false, quick: false, runs: 5, only: new Set(SCENARIOS), write: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json") args.json = true;
    else if (arg === "--quick") args.quick = true;
    else if (arg === "--no-write") args.write = false;
    else if (arg === "--runs") {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 3) throw new Error("--runs needs a whole number of at least 3");
      args.runs = n;
    } else if (arg === "--only") {
      const list = (argv[++i] ?? "").split(",").filter((s) => s !== "");
      if (list.length === 0 || list.some((s) => !SCENARIOS.includes(s)))
        throw new Error(`--only takes a comma-separated list of ${SCENARIOS.join(", ")}`);
      args.only = new Set(list);
    } else
      throw new Error(
        `unknown argument ${arg} (use --json, --runs N, --only a,b,c,d,e, --quick, --no-write)`,
      );
  }
  return args;
}

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = dirname(here);

function log(message: string): void {
  process.stderr.write(`bench ${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

function benchmarksTemplate(): string {
  return `# Benchmarks\n\nWritten by \`npm run bench\` (bench/run.ts).\n\n${RUNS_MARKER}\n`;
}

/** Adds the run's section after the marker (newest first); the rest of the file is left as it is. */
function writeSection(section: string): string {
  const file = join(repoRoot, "BENCHMARKS.md");
  let text = existsSync(file) ? readFileSync(file, "utf8") : benchmarksTemplate();
  if (!text.includes(RUNS_MARKER)) text = `${text.trimEnd()}\n\n${RUNS_MARKER}\n`;
  const at = text.indexOf(RUNS_MARKER) + RUNS_MARKER.length;
  writeFileSync(
    file,
    `${text.slice(0, at)}\n\n${section.trimEnd()}\n${text.slice(at).replace(/^\n*/, "\n")}`,
  );
  return file;
}

async function cleanUp(ctx: BenchContext): Promise<void> {
  for (const map of ctx.created.maps) await removeByLabel(ctx.docker, `${LABEL.map}=${map}`).catch(report);
  for (const prefix of ctx.created.floors)
    await removeByLabel(ctx.docker, `${FLOOR_LABEL}=${prefix}`).catch(report);
  for (const project of ctx.created.projects) {
    const file = join(ctx.outDir, `${project}.compose.yml`);
    if (existsSync(file)) await new Compose(project, file).down().catch(report);
    await removeByLabel(ctx.docker, `com.docker.compose.project=${project}`).catch(report);
  }
}

function report(err: unknown): void {
  log(`clean-up: ${err instanceof Error ? err.message : String(err)}`);
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const sizes = args.quick ? QUICK : FULL;
  const started = performance.now();
  const tag = randomBytes(2).toString("hex");
  const date = new Date();
  const runId = `${date.toISOString().slice(0, 16).replace(/[-:T]/g, "")}-${tag}`;
  const outDir = join(here, "out", runId);
  mkdirSync(outDir, { recursive: true });
  const docker = dockerClient();
  const machine = await describeMachine(docker);
  const proxy = await startCountingProxy(join(outDir, "engine-proxy.sock"));
  const ctx: BenchContext = {
    runId,
    tag,
    outDir,
    runs: args.runs,
    docker,
    proxy,
    berthBin: join(repoRoot, "bin", "berth.js"),
    repoRoot,
    log,
    created: { maps: new Set(), projects: new Set(), floors: new Set() },
  };
  const results: BenchResults = {
    runId,
    date: date.toISOString(),
    durationMs: 0,
    runs: args.runs,
    machine,
    noop: [],
    planner: [],
    profiles: [],
    errors: [],
  };
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: cleaning up what this run made, then exiting`);
    void cleanUp(ctx).finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  log(
    `run ${runId}: ${machine.cpus} × ${machine.cpuModel}, engine ${machine.engine}, compose ${machine.compose}, load ${machine.loadStart.toFixed(1)}`,
  );

  const attempt = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      const message = `${what}: ${err instanceof Error ? err.message : String(err)}`;
      log(`FAILED ${message}`);
      results.errors.push(message);
    }
  };
  try {
    if (args.only.has("d")) {
      await attempt(`(d) planner ${sizes.planner.join(", ")}`, async () => {
        results.planner.push(...(await planners(ctx, sizes.planner)));
      });
    }
    if (args.only.has("a")) {
      if (machine.compose === "missing")
        throw new Error("docker-compose is missing: run scripts/bench-setup.sh");
      for (const n of sizes.noop)
        await attempt(`(a) no-op update N=${n}`, async () => {
          results.noop.push(await noopUpdate(ctx, n));
        });
    }
    if (args.only.has("b"))
      await attempt(`(b) startup N=${sizes.startup}`, async () => {
        results.startup = await firstStartup(ctx, sizes.startup);
      });
    if (args.only.has("c"))
      await attempt(`(c) change N=${sizes.change}`, async () => {
        results.change = await rootChange(ctx, sizes.change);
      });
    if (args.only.has("e"))
      await attempt(`(e) built images N=${sizes.built}`, async () => {
        results.built = await builtNoop(ctx, sizes.built);
      });
  } finally {
    await cleanUp(ctx);
    await proxy.close();
  }

  // A missed planner target gets its profile in the report.
  const targetsBefore = evaluate(results);
  if (targetsBefore.some((t) => t.id.startsWith("d.") && t.pass === false)) {
    for (const action of ["update", "startup"] as const) {
      await attempt(`(d) profile ${action}`, async () => {
        const p = await plannerProfile(ctx, 10_000, action);
        results.profiles.push({
          size: 10_000,
          action,
          ms: p.ms,
          file: p.file.replace(`${repoRoot}/`, ""),
          self: p.self,
        });
      });
    }
  }
  results.machine.loadEnd = currentLoad();
  results.durationMs = performance.now() - started;
  const targets = evaluate(results);
  const section = markdownSection(results, targets);
  if (args.write) log(`wrote ${writeSection(section)}`);
  if (!args.json) process.stdout.write(`${section}\n`);
  process.stdout.write(`${JSON.stringify(jsonSummary(results, targets))}\n`);
  return results.errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
