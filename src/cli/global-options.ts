import type { Command } from "commander";
import { loadMap, type LoadedMap } from "../map/load-map.js";
import type { CliIo } from "./cli-io.js";

export interface GlobalOptions {
  file?: string[];
  mapName?: string;
  clients?: string;
  logLevel?: string;
  logFormat?: "pretty" | "json";
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
  });
}
