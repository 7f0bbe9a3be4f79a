import type { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { UsageError } from "../common/berth-error.js";
import { loadMap, type LoadedMap, type LoadMapOptions } from "../load-map.js";
import { cacheDirectory, FileParseCache, type ParseCache } from "../map/parse-cache.js";
import { keepContextDigestsIn } from "../desired/build-context.js";
import { Writable } from "node:stream";
import type { Logger } from "pino";
import type { ProgressListener } from "../apply/progress-events.js";
import { createLogger, logsAt, type LogFormat } from "../common/logger.js";
import type { EngineLog } from "../engine/engine-log.js";
import type { Plan } from "../plan/plan-types.js";
import { describeReason, summaryLine } from "../plan/render-plan.js";
import { isSensitiveName, maskSecrets, secretValuesOf, SENSITIVE_PLACEHOLDER } from "../desired/sensitive.js";
import { useColor, type CliIo } from "./cli-io.js";
import { resolveDockerEndpoint, type DockerEndpoint } from "../engine/docker-context.js";

export interface GlobalOptions {
  file?: string[];
  mapName?: string;
  envFile?: string[];
  host?: string;
  context?: string;
  clients?: string;
  logLevel?: string;
  logFormat?: LogFormat;
  /** False with `--no-cache`. */
  cache?: boolean;
}

/**
 * The global options of a run, wherever they were given: before the command (the program's) or
 * after it (the command's copies, see main.ts). Repeatable ones collect both places, in order.
 */
export function globalOptions(command: Command): GlobalOptions {
  const merged = command.optsWithGlobals<GlobalOptions>();
  const before = command.parent?.opts<GlobalOptions>() ?? {};
  const after = command.parent === null ? {} : command.opts<GlobalOptions>();
  // optsWithGlobals lets the program's values win, its defaults too (`--log-level` is `warn`
  // unless given): one given after the command is the later word, and wins.
  if (command.parent !== null) {
    for (const key of SINGLE_VALUED)
      if (after[key] !== undefined) Object.assign(merged, { [key]: after[key] });
  }
  // A negatable option's copy defaults to true: `--no-cache` before the command still counts.
  if (before.cache === false || after.cache === false) merged.cache = false;
  for (const key of ["file", "envFile"] as const) {
    const both = [...(before[key] ?? []), ...(after[key] ?? [])];
    if (both.length > 0) merged[key] = both;
  }
  return merged;
}

/** The global options that take one value (the last given); `file` and `envFile` collect. */
const SINGLE_VALUED = ["mapName", "host", "context", "clients", "logLevel", "logFormat"] as const;

/** The engine of the `default` client: --host, --context, else as the docker CLI finds it (docker-context.ts). */
export function endpointFor(command: Command, io: CliIo): DockerEndpoint {
  const { host, context } = globalOptions(command);
  return resolveDockerEndpoint(
    { ...(host === undefined ? {} : { host }), ...(context === undefined ? {} : { context }) },
    io.env,
  );
}

/** Loads the map the global options name (`-f`, `--map-name`), in the CLI's folder and environment. */
export function loadMapFor(
  command: Command,
  io: CliIo,
  checks: Pick<LoadMapOptions, "clients"> = {},
): LoadedMap {
  return loadMap({ ...mapSourceFor(command, io), ...parseCacheFor(command, io), ...checks });
}

/**
 * Where the map comes from: `-f` (`-` for standard input), else BERTH_FILE (paths separated as
 * in PATH, like Compose's COMPOSE_FILE), else berth.yaml; its name from --map-name, else
 * BERTH_MAP_NAME; variables from --env-file, else `.env` beside the map (the current folder for
 * a map on standard input). `defaults.files` (a saved plan's) come before BERTH_FILE, after -f.
 */
export function mapSourceFor(
  command: Command,
  io: CliIo,
  defaults: { files?: readonly string[]; mapName?: string } = {},
): LoadMapOptions {
  const options = globalOptions(command);
  const files = options.file ?? defaults.files ?? filesFromEnv(io.env);
  const mapName = options.mapName ?? nonEmpty(io.env.BERTH_MAP_NAME) ?? defaults.mapName;
  const source: LoadMapOptions = { env: io.env, cwd: io.cwd };
  if (files !== undefined) source.files = files;
  if (mapName !== undefined) source.mapName = mapName;
  if (files?.includes(STDIN) === true) source.texts = { [STDIN]: readStdin(io) };
  if (options.envFile !== undefined) source.envFiles = options.envFile;
  else if (files?.[0] === STDIN && existsSync(join(io.cwd, ".env"))) source.envFiles = [".env"];
  return source;
}

const STDIN = "-";

function filesFromEnv(env: CliIo["env"]): string[] | undefined {
  const list = (env.BERTH_FILE ?? "").split(delimiter).filter((file) => file !== "");
  return list.length > 0 ? list : undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function readStdin(io: CliIo): string {
  try {
    return (io.readStdin ?? (() => readFileSync(0, "utf8")))();
  } catch (err) {
    throw new UsageError(`cannot read the map from standard input: ${(err as Error).message}`);
  }
}

/**
 * The run's use of berth's cache folder, unless `--no-cache` or BERTH_CACHE_DIR="": the cache of
 * parsed map files (see FileParseCache), and the digests of build context files (see
 * keepContextDigestsIn).
 */
export function parseCacheFor(command: Command, io: CliIo): { parseCache?: ParseCache } {
  const dir = globalOptions(command).cache === false ? undefined : cacheDirectory(io.env);
  keepContextDigestsIn(dir);
  return dir === undefined ? {} : { parseCache: new FileParseCache(dir) };
}

/** The run's logger: pino on stderr at --log-level, pretty (colour on a terminal) or JSON lines. */
export function loggerFor(command: Command, io: CliIo, override: { format?: LogFormat } = {}): Logger {
  const options = globalOptions(command);
  // With `--progress json` every stderr line is JSON: the logs too.
  const progressJson = command.opts<{ progress?: string }>().progress === "json";
  return createLogger({
    level: options.logLevel ?? "warn",
    format: override.format ?? (progressJson ? "json" : undefined) ?? options.logFormat ?? "pretty",
    color: useColor(io),
    destination: new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        io.stderr.write(chunk.toString());
        done();
      },
    }),
  });
}

/** Progress events as log lines: runs, failures and skips at info, steps at debug. */
export function logProgress(logger: Logger): ProgressListener {
  return (event) => {
    switch (event.type) {
      case "run-start":
        logger.info({ map: event.map, steps: event.steps }, "apply started");
        break;
      case "step-start":
        logger.debug({ step: event.step.id }, "step started");
        break;
      case "step-done":
        logger.debug({ step: event.step.id, ms: event.durationMs, detail: event.detail }, "step done");
        break;
      // Failures are in the run's summary already; as logs they are details of the run.
      case "step-failed":
        logger.info({ step: event.step.id, ms: event.durationMs, error: event.error }, "step failed");
        break;
      case "step-output":
        // A pull's byte counters are for a live display; its changes of state are logged.
        if (event.transient !== true) logger.debug({ step: event.step.id, line: event.line }, "step output");
        break;
      case "step-skipped":
        logger.info({ step: event.step.id, because: event.because }, "step skipped");
        break;
      case "step-cancelled":
        logger.info({ step: event.step.id }, "step cancelled");
        break;
      case "lock-wait":
        logger.info({ map: event.map, holder: event.holder }, "waiting for the map's lock");
        break;
      case "run-done":
        logger.info({ ok: event.ok, interrupted: event.interrupted, ms: event.durationMs }, "apply finished");
        break;
    }
  };
}

/**
 * Where the engines log their calls: the run's logger at --log-level debug or trace (undefined
 * above, so that no call pays for it); requests, at trace, masked (maskRequest).
 */
export function engineLogFor(command: Command, io: CliIo, map: LoadedMap): EngineLog | undefined {
  if (!logsAt(globalOptions(command).logLevel ?? "warn", "debug")) return undefined;
  const secrets = secretValuesOf(map.resolved);
  const listed = map.resolved.sensitive;
  return {
    logger: loggerFor(command, io),
    mask: (value) => JSON.stringify(maskRequest(value, listed, secrets)),
  };
}

/**
 * A request's query or body with its secrets masked, before it is written as JSON: sensitive
 * entries of an `Env` list and of `buildargs` by name (a short secret would otherwise withhold the
 * whole text), then every secret value in every string, each masked as it is, before any escaping.
 */
export function maskRequest(value: unknown, listed: readonly string[], secrets: readonly string[]): unknown {
  const walk = (key: string, node: unknown): unknown => {
    if (key === "Env" && Array.isArray(node))
      return node.map((entry: unknown) => maskEnvEntry(entry, listed, secrets));
    if (key === "buildargs" && typeof node === "string") return maskBuildArgs(node, listed, secrets);
    if (typeof node === "string") return maskSecrets(node, secrets);
    if (Array.isArray(node)) return node.map((item) => walk("", item));
    if (typeof node === "object" && node !== null)
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(k, v)]));
    return node;
  };
  return walk("", value);
}

function maskEnvEntry(entry: unknown, listed: readonly string[], secrets: readonly string[]): unknown {
  if (typeof entry !== "string") return entry;
  const name = entry.split("=", 1)[0] ?? "";
  return isSensitiveName(name, listed) ? `${name}=${SENSITIVE_PLACEHOLDER}` : maskSecrets(entry, secrets);
}

/** The build's `buildargs` query value: a JSON object of the build arguments. */
function maskBuildArgs(text: string, listed: readonly string[], secrets: readonly string[]): string {
  try {
    const args = JSON.parse(text) as Record<string, unknown>;
    const masked = Object.fromEntries(
      Object.entries(args).map(([name, v]) => [
        name,
        isSensitiveName(name, listed)
          ? SENSITIVE_PLACEHOLDER
          : typeof v === "string"
            ? maskSecrets(v, secrets)
            : v,
      ]),
    );
    return JSON.stringify(masked);
  } catch {
    return maskSecrets(text, secrets);
  }
}

/** How openEngines connects for this run: the chosen engine, and the call log (engineLogFor). */
export function engineOptionsFor(
  command: Command,
  io: CliIo,
  map: LoadedMap,
): { defaultEndpoint: DockerEndpoint; log?: EngineLog } {
  const log = engineLogFor(command, io, map);
  return { defaultEndpoint: endpointFor(command, io), ...(log === undefined ? {} : { log }) };
}

/**
 * At --log-level debug, every plan's decisions with their reasons: one line per object that
 * changes or is reported, then the plan's size. The planner is pure: its plans are logged here.
 * (Reasons are the plan's own, where secrets are already redacted.)
 */
export function planLogFor(command: Command, io: CliIo): { onPlan?: (plan: Plan) => void } {
  if (!logsAt(globalOptions(command).logLevel ?? "warn", "debug")) return {};
  const logger = loggerFor(command, io);
  return {
    onPlan: (plan) => {
      for (const change of plan.changes) {
        const reasons = change.reasons.map(describeReason);
        const what = `${change.change} ${change.object.kind} ${change.object.key ?? change.object.name}`;
        logger.debug(
          { object: change.object, change: change.change, reasons },
          `plan: ${what}${reasons.length === 0 ? "" : `: ${reasons.join("; ")}`}`,
        );
      }
      logger.debug({ map: plan.map, steps: plan.steps.length }, `plan: ${summaryLine(plan)}`);
    },
  };
}
