import { readFileSync } from "node:fs";
import { posix } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../../common/berth-error.js";
import { generateDockerfile } from "../../desired/generated-dockerfile.js";
import type { LoadedMap } from "../../load-map.js";
import type { CliIo } from "../cli-io.js";
import { loadMapFor } from "../global-options.js";

/** `berth build --print-dockerfile CONFIG`: the Dockerfile the config's image is built from, on stdout. */
export function printDockerfile(io: CliIo, command: Command, configs: readonly string[]): void {
  if (configs.length !== 1)
    throw new UsageError("--print-dockerfile takes exactly one config", {
      hint: "berth build --print-dockerfile CONFIG",
    });
  const map = loadMapFor(command, io);
  io.stdout.write(dockerfileOf(map, configs[0] as string));
}

function dockerfileOf(map: LoadedMap, config: string): string {
  const containers = map.resolved.containers.filter((c) => c.config === config);
  if (containers.length === 0)
    throw new UsageError(`config ${config} is not in map ${map.name}`, {
      hint: "berth config lists the map's configs",
    });
  const build = containers.find((c) => c.build !== undefined)?.build;
  if (build === undefined)
    throw new UsageError(`config ${config} builds no image (it has no build:)`, {
      hint: "add build: with a context, or a Dockerfile written in the map (build: {from: IMAGE, …})",
    });
  if (build.generated !== undefined) return generateDockerfile(build.generated);
  const path = posix.join(build.context, build.dockerfile);
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`config ${config}: Dockerfile ${path} cannot be read: ${(err as Error).message}`);
  }
}
