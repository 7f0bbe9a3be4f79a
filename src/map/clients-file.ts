import { readFileSync } from "node:fs";
import { yamlLibrary } from "../common/lazy-modules.js";
import { UsageError } from "../common/berth-error.js";
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
  interfaces: Record<string, string>;
  interfaces_ipv6: Record<string, string>;
}

const KNOWN_KEYS = new Set([
  "base_url",
  "interfaces",
  "interfaces_ipv6",
  "version",
  "timeout",
  "tls",
  "stop_timeout",
  "wait_timeout",
  "domainname",
  "auth_configs",
]);

/**
 * Reads a clients file: client name → { base_url, interfaces, interfaces_ipv6, … } (docker-map's
 * format). Without one, a map runs on the `default` engine (DOCKER_HOST or the default socket).
 */
export function loadClientsFile(file: string): Record<string, ClientConfig> {
  let raw: unknown;
  try {
    raw = yamlLibrary().parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new UsageError(`cannot read clients file ${file}: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new UsageError(`clients file ${file}: expected a mapping of client names to settings`);
  }
  const out: Record<string, ClientConfig> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const settings = (value ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(settings)) {
      if (!KNOWN_KEYS.has(key))
        throw new UsageError(`clients file ${file}: client ${name}: unknown key \`${key}\``, {
          hint: `known keys: ${[...KNOWN_KEYS].join(", ")}`,
        });
    }
    const config: ClientConfig = {
      interfaces: stringMap(settings.interfaces),
      interfaces_ipv6: stringMap(settings.interfaces_ipv6),
    };
    if (typeof settings.base_url === "string") config.base_url = settings.base_url;
    out[name] = config;
  }
  return out;
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
