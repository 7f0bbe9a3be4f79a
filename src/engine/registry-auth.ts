import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { RegistryAuth } from "./engine-types.js";

/**
 * Registry credentials from the Docker client's config file (DOCKER_CONFIG or ~/.docker):
 * `auths` entries, per-registry `credHelpers`, or the default `credsStore`, as the docker CLI
 * uses them. Credentials only ever travel in the X-Registry-Auth header, never in logs.
 */
interface DockerConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string; username?: string; password?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

const DOCKER_HUB = "https://index.docker.io/v1/";

/** Docker Hub's names in image references: all of them mean the `https://index.docker.io/v1/` entry. */
const DOCKER_HUB_HOSTS = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/**
 * The registry part of an image reference: Docker Hub (its config key, as the docker CLI uses it)
 * when there is none (`nginx`, `library/nginx`) or when it is one of Hub's names (`docker.io/…`).
 */
export function registryOf(image: string): string {
  const first = image.split("/")[0] ?? "";
  const hasRegistry =
    image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  return hasRegistry && !DOCKER_HUB_HOSTS.has(first) ? first : DOCKER_HUB;
}

export function loadDockerConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): DockerConfigFile {
  const folder = env.DOCKER_CONFIG ?? join(homedir(), ".docker");
  const file = join(folder, "config.json");
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, "utf8")) as DockerConfigFile;
  } catch {
    return {};
  }
}

export function registryAuthFor(
  image: string,
  config: DockerConfigFile,
  runHelper: (
    helper: string,
    registry: string,
  ) => { Username: string; Secret: string } | undefined = defaultHelper,
): RegistryAuth | undefined {
  const registry = registryOf(image);
  const candidates =
    registry === DOCKER_HUB
      ? [DOCKER_HUB, "index.docker.io", "docker.io"]
      : [registry, `https://${registry}`, `http://${registry}`];
  const helperKeys = registry === DOCKER_HUB ? [DOCKER_HUB, ...DOCKER_HUB_HOSTS] : [registry];
  const helper =
    helperKeys.map((key) => config.credHelpers?.[key]).find((name) => name !== undefined) ??
    config.credsStore;
  if (helper !== undefined) {
    const found = runHelper(helper, registry);
    if (found !== undefined) {
      return found.Username === "<token>"
        ? { identitytoken: found.Secret, serveraddress: registry }
        : { username: found.Username, password: found.Secret, serveraddress: registry };
    }
  }
  for (const key of candidates) {
    const entry = config.auths?.[key];
    if (entry === undefined) continue;
    if (entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress: registry };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      return {
        username: decoded.slice(0, colon),
        password: decoded.slice(colon + 1),
        serveraddress: registry,
      };
    }
    if (entry.username !== undefined)
      return { username: entry.username, password: entry.password ?? "", serveraddress: registry };
  }
  return undefined;
}

function defaultHelper(helper: string, registry: string): { Username: string; Secret: string } | undefined {
  try {
    const output = execFileSync(`docker-credential-${helper}`, ["get"], {
      input: registry,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "ignore"],
      timeout: 10_000,
    });
    return JSON.parse(output) as { Username: string; Secret: string };
  } catch {
    return undefined;
  }
}
