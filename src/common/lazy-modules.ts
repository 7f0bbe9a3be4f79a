import { createRequire } from "node:module";
import type * as LogUpdate from "log-update";
import type * as Yaml from "yaml";

/**
 * Large dependencies that a run may not need, loaded when first used: yaml (needed to parse a
 * map berth has not parsed before, see parse-cache.ts), dockerode (a run that only reads the
 * lists the executable requested early never dials the engine through it), and log-update with
 * its text-width tables (only the live display on a terminal draws with it). Loading berth is a
 * large part of a short run's time; these are over a third of it.
 *
 * The CLI bundle has each in a file of its own beside it (see scripts/bundle.mjs, which defines
 * BERTH_BUNDLED_MODULES); the library loads them from node_modules.
 */
declare const BERTH_BUNDLED_MODULES: { yaml: string; dockerode: string; "log-update": string } | undefined;

const where =
  typeof BERTH_BUNDLED_MODULES === "undefined"
    ? { yaml: "yaml", dockerode: "dockerode", "log-update": "log-update" }
    : BERTH_BUNDLED_MODULES;
const requireLazily = createRequire(import.meta.url);

/**
 * dockerode's class as far as berth uses it: only an instance's modem, which connects and dials
 * (see docker-engine.ts). Declared here rather than taken from @types/dockerode, a devDependency
 * that the published declarations may not name (a strict consumer would not find it).
 */
export type DockerodeClass = new (options?: EngineConnection) => { modem: unknown };

/**
 * Where an engine is and how to reach it: a socket path, or a host and port over http(s) (with
 * its TLS material) or ssh. An unset setting is given as undefined: dockerode fills what is
 * missing from the process's DOCKER_HOST, which must not override an engine chosen otherwise.
 */
export interface EngineConnection {
  socketPath?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  protocol?: "http" | "https" | "ssh" | undefined;
  ca?: Buffer | undefined;
  cert?: Buffer | undefined;
  key?: Buffer | undefined;
  username?: string | undefined;
  sshOptions?: { agent?: string | undefined };
  agent?: unknown;
}

let yaml: typeof Yaml | undefined;
let dockerode: DockerodeClass | undefined;
let logUpdate: typeof LogUpdate | undefined;

export function yamlLibrary(): typeof Yaml {
  return (yaml ??= requireLazily(where.yaml) as typeof Yaml);
}

export function dockerodeClass(): DockerodeClass {
  return (dockerode ??= requireLazily(where.dockerode) as DockerodeClass);
}

/** log-update (an ES module: `require` loads it as Node 20.19 and later do). */
export function logUpdateLibrary(): typeof LogUpdate {
  return (logUpdate ??= requireLazily(where["log-update"]) as typeof LogUpdate);
}
