import { createRequire } from "node:module";
import type Dockerode from "dockerode";
import type * as Yaml from "yaml";

/**
 * Large dependencies that a run may not need, loaded when first used: yaml (needed to parse a
 * map berth has not parsed before, see parse-cache.ts), and dockerode (a run that only reads the
 * lists the executable requested early never dials the engine through it). Loading berth is a
 * large part of a short run's time; these two are over a third of it.
 *
 * The CLI bundle has each in a file of its own beside it (see scripts/bundle.mjs, which defines
 * BERTH_BUNDLED_MODULES); the library loads them from node_modules.
 */
declare const BERTH_BUNDLED_MODULES: { yaml: string; dockerode: string } | undefined;

const where =
  typeof BERTH_BUNDLED_MODULES === "undefined"
    ? { yaml: "yaml", dockerode: "dockerode" }
    : BERTH_BUNDLED_MODULES;
const requireLazily = createRequire(import.meta.url);

let yaml: typeof Yaml | undefined;
let dockerode: typeof Dockerode | undefined;

export function yamlLibrary(): typeof Yaml {
  return (yaml ??= requireLazily(where.yaml) as typeof Yaml);
}

export function dockerodeClass(): typeof Dockerode {
  return (dockerode ??= requireLazily(where.dockerode) as typeof Dockerode);
}
