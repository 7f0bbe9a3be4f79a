import type { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { UsageError } from "../common/berth-error.js";
import { loadMap, type LoadedMap, type LoadMapOptions } from "../load-map.js";
import { cacheDirectory, FileParseCache, type ParseCache } from "../map/parse-cache.js";
import { Writable } from "node:stream";
import type { Logger } from "pino";
import type { ProgressListener } from "../apply/progress-events.js";
import { createLogger, type LogFormat } from "../common/logger.js";
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
  // A negatable option's copy defaults to true: `--no-cache` before the command still counts.
  if (before.cache === false || after.cache === false) merged.cache = false;
  for (const key of ["file", "envFile"] as const) {
    const both = [...(before[key] ?? []), ...(after[key] ?? [])];
    if (both.length > 0) merged[key] = both;
  }
  return merged;
}

/** The engine of the `default` client: --host, --context, else as the docker CLI finds it (docker-context.ts). */
export function endpointFor(command: Command, io: CliIo): DockerEndpoint {
  const { host, context } = globalOptions(command);
  return resolveDockerEndpoint(
    { ...(host === undefined ? {} : { host }), ...(context === undefined ? {} : { context }) },
    io.env,
  );
}

/** Loads the map the global options name (`-f`, `--map-name`), in the CLI's folder and environment. */
export function loadMapFor(command: Command, io: CliIo): LoadedMap {
  return loadMap({ ...mapSourceFor(command, io), ...parseCacheFor(command, io) });
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

/** The cache of parsed map files (see FileParseCache), unless `--no-cache` or BERTH_CACHE_DIR="". */
export function parseCacheFor(command: Command, io: CliIo): { parseCache?: ParseCache } {
  const dir = globalOptions(command).cache === false ? undefined : cacheDirectory(io.env);
  return dir === undefined ? {} : { parseCache: new FileParseCache(dir) };
}

/** The run's logger: pino on stderr at --log-level, pretty (colour on a terminal) or JSON lines. */
export function loggerFor(command: Command, io: CliIo, override: { format?: LogFormat } = {}): Logger {
  const options = globalOptions(command);
  return createLogger({
    level: options.logLevel ?? "warn",
    format: override.format ?? options.logFormat ?? "pretty",
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
        logger.debug({ step: event.step.id, line: event.line }, "step output");
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
