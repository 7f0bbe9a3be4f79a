import type { Command } from "commander";
import { loadMap, type LoadedMap } from "../load-map.js";
import { cacheDirectory, FileParseCache, type ParseCache } from "../map/parse-cache.js";
import { Writable } from "node:stream";
import type { Logger } from "pino";
import type { ProgressListener } from "../apply/progress-events.js";
import { createLogger, type LogFormat } from "../common/logger.js";
import { useColor, type CliIo } from "./cli-io.js";

export interface GlobalOptions {
  file?: string[];
  mapName?: string;
  clients?: string;
  logLevel?: string;
  logFormat?: LogFormat;
  /** False with `--no-cache`. */
  cache?: boolean;
}

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/** Loads the map the global options name (`-f`, `--map-name`), in the CLI's folder and environment. */
export function loadMapFor(command: Command, io: CliIo): LoadedMap {
  const options = globalOptions(command);
  return loadMap({
    ...(options.file ? { files: options.file } : {}),
    ...(options.mapName ? { mapName: options.mapName } : {}),
    env: io.env,
    cwd: io.cwd,
    ...parseCacheFor(command, io),
  });
}

/** The cache of parsed map files (see FileParseCache), unless `--no-cache` or BERTH_CACHE_DIR="". */
export function parseCacheFor(command: Command, io: CliIo): { parseCache?: ParseCache } {
  const dir = globalOptions(command).cache === false ? undefined : cacheDirectory(io.env);
  return dir === undefined ? {} : { parseCache: new FileParseCache(dir) };
}

/** The run's logger: pino on stderr at --log-level, pretty (colour on a terminal) or JSON lines. */
export function loggerFor(command: Command, io: CliIo): Logger {
  const options = globalOptions(command);
  return createLogger({
    level: options.logLevel ?? "warn",
    format: options.logFormat ?? "pretty",
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
