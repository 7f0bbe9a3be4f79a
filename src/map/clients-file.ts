import { readFileSync } from "node:fs";
import type { Document, LineCounter } from "yaml";
import { yamlLibrary } from "../common/lazy-modules.js";
import { isUsageError, UsageError } from "../common/berth-error.js";
import { dockerContextEndpoint, type DockerEndpoint } from "../engine/docker-context.js";
import { formatPosition } from "./map-error.js";
import { DEFAULT_CLIENT } from "./model.js";

/** What differs between engines: interface addresses, hostname suffix. */
export interface ClientContext {
  name: string;
  /** True for the engine of a map without clients (no hostname suffix). */
  isDefault: boolean;
  interfaces: Record<string, string>;
  interfacesIpv6: Record<string, string>;
}
/** One engine of a clients file (docker-map's client configuration). */
export interface ClientConfig {
  base_url?: string;
  /** A Docker context that names the engine instead of `base_url` (read as the docker CLI reads it). */
  context?: string;
  /** The engine of `context`, with its TLS material (or ssh), resolved when the file is read. */
  endpoint?: DockerEndpoint;
  interfaces: Record<string, string>;
  interfaces_ipv6: Record<string, string>;
  /** `swarm`: the engine is a swarm manager and the configs placed on it run as services. */
  mode?: ClientMode;
  /** A swarm manager's node label: a config placed on a node client runs where it has that client's name. */
  node_label?: string;
  /** A node of the swarm whose manager is this client: placing a config here constrains its tasks. */
  swarm?: string;
}

/** `engine` (the default): containers on this engine; `swarm`: services on this swarm manager. */
export type ClientMode = "engine" | "swarm";
const CLIENT_MODES: readonly ClientMode[] = ["engine", "swarm"];

const KNOWN_KEYS = new Set([
  "base_url",
  "context",
  "interfaces",
  "interfaces_ipv6",
  "version",
  "timeout",
  "tls",
  "stop_timeout",
  "wait_timeout",
  "domainname",
  "auth_configs",
  "mode",
  "node_label",
  "swarm",
]);

/**
 * Reads a clients file: client name → { base_url | context, interfaces, interfaces_ipv6, … }
 * (docker-map's format, plus `context`: a Docker context of the docker CLI's config folder, read
 * with `env`'s DOCKER_CONFIG). Without one, a map runs on the `default` engine (DOCKER_HOST or the
 * default socket).
 */
export function loadClientsFile(
  file: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, ClientConfig> {
  const { document, lines } = parseClientsFile(file);
  const raw: unknown = document.toJS();
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new UsageError(`clients file ${file}: expected a mapping of client names to settings`);
  }
  const at = (path: string[]): string => positionOf(file, document, lines, path);
  const out: Record<string, ClientConfig> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const settings = (value ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(settings)) {
      if (!KNOWN_KEYS.has(key))
        throw new UsageError(`${at([name, key])}: client ${name}: unknown key \`${key}\``, {
          hint: `known keys: ${[...KNOWN_KEYS].join(", ")}`,
        });
    }
    const config: ClientConfig = {
      interfaces: stringMap(settings.interfaces),
      interfaces_ipv6: stringMap(settings.interfaces_ipv6),
    };
    if (typeof settings.base_url === "string") config.base_url = settings.base_url;
    if (settings.context !== undefined) {
      if (settings.base_url !== undefined)
        throw new UsageError(
          `${at([name, "context"])}: client ${name} names its engine twice: \`base_url\` and \`context\``,
          { hint: "keep one of them" },
        );
      if (typeof settings.context !== "string" || settings.context === "")
        throw new UsageError(
          `${at([name, "context"])}: client ${name}: \`context\` must name a Docker context`,
          {
            hint: "see `docker context ls`",
          },
        );
      config.context = settings.context;
      config.endpoint = contextEndpoint(settings.context, env, at([name, "context"]), name);
    }
    readSwarmSettings(config, settings, at, name);
    out[name] = config;
  }
  checkSwarmNodes(out, at);
  return out;
}

/** `mode`, `node_label` and `swarm` of one client, checked on their own. */
function readSwarmSettings(
  config: ClientConfig,
  settings: Record<string, unknown>,
  at: (path: string[]) => string,
  name: string,
): void {
  const { mode, node_label: nodeLabel, swarm } = settings;
  if (mode !== undefined) {
    if (!CLIENT_MODES.includes(mode as ClientMode))
      throw new UsageError(`${at([name, "mode"])}: client ${name}: \`mode\` is \`engine\` or \`swarm\``, {
        hint: "`swarm` deploys the configs placed on this client as Swarm services (the engine must be a swarm manager)",
      });
    config.mode = mode as ClientMode;
  }
  if (nodeLabel !== undefined) {
    if (config.mode !== "swarm")
      throw new UsageError(
        `${at([name, "node_label"])}: client ${name}: \`node_label\` is for a swarm manager`,
        {
          hint: "add `mode: swarm`, or remove `node_label`",
        },
      );
    if (typeof nodeLabel !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(nodeLabel))
      throw new UsageError(
        `${at([name, "node_label"])}: client ${name}: \`node_label\` must be a node label name`,
        {
          hint: "like `berth.node` (set on each node with `docker node update --label-add berth.node=NAME NODE`)",
        },
      );
    config.node_label = nodeLabel;
  }
  if (swarm !== undefined) {
    if (typeof swarm !== "string" || swarm === "")
      throw new UsageError(
        `${at([name, "swarm"])}: client ${name}: \`swarm\` must name the swarm manager's client`,
      );
    if (config.mode === "swarm")
      throw new UsageError(
        `${at([name, "swarm"])}: client ${name} is a swarm manager and a node of \`${swarm}\``,
        {
          hint: "a node client names its manager with `swarm`; the manager has `mode: swarm`",
        },
      );
    config.swarm = swarm;
  }
}

/** Every node client names a swarm manager of the file that has a node label to place by. */
function checkSwarmNodes(clients: Record<string, ClientConfig>, at: (path: string[]) => string): void {
  for (const [name, config] of Object.entries(clients)) {
    if (config.swarm === undefined) continue;
    const manager = clients[config.swarm];
    if (manager?.mode !== "swarm")
      throw new UsageError(
        `${at([name, "swarm"])}: client ${name}: \`${config.swarm}\` is not a swarm manager of this file`,
        { hint: "name a client with `mode: swarm`" },
      );
    if (manager.node_label === undefined)
      throw new UsageError(
        `${at([name, "swarm"])}: client ${name} is a node of \`${config.swarm}\`, which has no \`node_label\``,
        {
          hint: `give \`${config.swarm}\` a \`node_label\`: configs placed on ${name} run on the node with that label set to \`${name}\``,
        },
      );
  }
}

function parseClientsFile(file: string): { document: Document; lines: LineCounter } {
  const { parseDocument, LineCounter } = yamlLibrary();
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read clients file ${file}: ${(err as Error).message}`);
  }
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines });
  const problem = document.errors[0];
  if (problem !== undefined) {
    const { line, col } = lines.linePos(problem.pos[0]);
    throw new UsageError(
      `${formatPosition({ file, line, col })}: cannot read clients file: ${problem.message}`,
    );
  }
  return { document, lines };
}

/** FILE:LINE:COL of the value at `path` (or of its nearest ancestor that is there). */
function positionOf(file: string, document: Document, lines: LineCounter, path: string[]): string {
  for (let n = path.length; n > 0; n--) {
    const node = document.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node?.range !== undefined) return formatPosition({ file, ...lines.linePos(node.range[0]) });
  }
  return formatPosition({ file, line: 1, col: 1 });
}

/** The engine of a client's `context`; an unknown context is an error naming it and the clients file. */
function contextEndpoint(
  context: string,
  env: Readonly<Record<string, string | undefined>>,
  at: string,
  client: string,
): DockerEndpoint {
  try {
    return dockerContextEndpoint(context, env, "clients file context");
  } catch (err) {
    if (!isUsageError(err)) throw err;
    throw new UsageError(`${at}: client ${client}: ${err.message}`, {
      hint: "see `docker context ls`; correct the client's `context`, or give it a `base_url` instead",
    });
  }
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((value ?? {}) as Record<string, unknown>)) out[k] = String(v);
  return out;
}

export function clientContexts(
  clientNames: readonly string[],
  configs: Record<string, ClientConfig>,
): Record<string, ClientContext> {
  const out: Record<string, ClientContext> = {};
  for (const name of clientNames) {
    const config = configs[name];
    if (config === undefined && name !== DEFAULT_CLIENT) {
      throw new UsageError(`the map names client \`${name}\`, which no clients file defines`, {
        hint: "pass --clients FILE",
      });
    }
    out[name] = {
      name,
      isDefault: name === DEFAULT_CLIENT,
      interfaces: config?.interfaces ?? {},
      interfacesIpv6: config?.interfaces_ipv6 ?? {},
    };
  }
  return out;
}
