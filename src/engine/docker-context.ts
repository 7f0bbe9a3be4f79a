import { createHash } from "node:crypto";
import { accessSync, existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../common/berth-error.js";

/**
 * Which Docker engine the `default` client is, chosen as the docker CLI chooses it:
 *
 *   --host/-H  >  --context  >  DOCKER_HOST  >  DOCKER_CONTEXT  >  config.json's currentContext  >  the default socket
 *
 * A Docker context is read from the Docker CLI's config folder (DOCKER_CONFIG, default ~/.docker):
 * contexts/meta/<sha256 of the name>/meta.json names the endpoint's Host and SkipTLSVerify, and
 * contexts/tls/<sha256 of the name>/docker/{ca,cert,key}.pem hold its TLS material. The context
 * named `default` is the engine of the environment (DOCKER_HOST, else the default socket).
 *
 * Only node's own modules here: the executable's small bundle reads it too (prefetch.ts).
 */

type Env = Readonly<Record<string, string | undefined>>;

/** Where the endpoint's choice came from, for messages. */
export type EndpointSource =
  | "--host"
  | "--context"
  | "DOCKER_HOST"
  | "DOCKER_CONTEXT"
  | "currentContext"
  | "default socket"
  | "clients file"
  | "clients file context";

export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
  /** Docker's SkipTLSVerify / DOCKER_TLS without DOCKER_TLS_VERIFY: the server's certificate is not checked. */
  skipVerify: boolean;
}

export interface DockerEndpoint {
  /** `unix:///path`, `tcp://host:port`, `ssh://user@host[:port]`, `npipe://…`. */
  host: string;
  source: EndpointSource;
  /** The Docker context it came from (undefined for --host, DOCKER_HOST and the default socket). */
  context?: string;
  /** TLS files of a tcp endpoint; undefined means plain HTTP. */
  tls?: TlsFiles;
}

export interface EndpointChoice {
  /** `--host`/`-H`. */
  host?: string;
  /** `--context`. */
  context?: string;
}

/** The docker CLI's config folder: DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigFolder(env: Env): string {
  const folder = env.DOCKER_CONFIG;
  return folder !== undefined && folder !== "" ? folder : join(homedir(), ".docker");
}

/** The engine for `choice` in `env`, by the docker CLI's precedence (see the top of this file). */
export function resolveDockerEndpoint(choice: EndpointChoice, env: Env): DockerEndpoint {
  if (nonEmpty(choice.host) && nonEmpty(choice.context)) {
    // The docker CLI refuses the pair too: neither is more explicit than the other.
    throw new UsageError("conflicting options: --host and --context both name the engine", {
      hint: "give one of them",
    });
  }
  if (nonEmpty(choice.host)) return hostEndpoint(choice.host, "--host", env);
  if (nonEmpty(choice.context)) return dockerContextEndpoint(choice.context, env, "--context");
  if (nonEmpty(env.DOCKER_HOST)) return hostEndpoint(env.DOCKER_HOST, "DOCKER_HOST", env);
  if (nonEmpty(env.DOCKER_CONTEXT)) return dockerContextEndpoint(env.DOCKER_CONTEXT, env, "DOCKER_CONTEXT");
  const current = currentContextName(env);
  if (current !== undefined) return dockerContextEndpoint(current, env, "currentContext");
  return { host: `unix://${defaultSocketPath()}`, source: "default socket" };
}

/**
 * The engine of the Docker context `name` (as `docker --context NAME` would use it). Exported for
 * code that lets other clients name a context. Throws a UsageError naming the context and where
 * its name came from when there is no such context, or its metadata cannot be read.
 */
export function dockerContextEndpoint(
  name: string,
  env: Env,
  source: EndpointSource = "--context",
): DockerEndpoint {
  if (name === "default") {
    const host = nonEmpty(env.DOCKER_HOST) ? env.DOCKER_HOST : `unix://${defaultSocketPath()}`;
    return { ...hostEndpoint(host, source, env), context: name };
  }
  const id = contextId(name);
  const folder = dockerConfigFolder(env);
  const metaFile = join(folder, "contexts", "meta", id, "meta.json");
  const meta = readContextMeta(name, metaFile, source);
  const docker = meta.Endpoints?.docker;
  if (docker === undefined || typeof docker.Host !== "string" || docker.Host === "") {
    throw new UsageError(
      `Docker context \`${name}\` (${from(source)}) has no docker endpoint in ${metaFile}`,
      {
        hint: `see \`docker context inspect ${name}\``,
      },
    );
  }
  const endpoint: DockerEndpoint = { host: docker.Host, source, context: name };
  const tls = contextTls(join(folder, "contexts", "tls", id, "docker"), docker.SkipTLSVerify === true);
  if (tls !== undefined && !isSshOrSocket(docker.Host)) endpoint.tls = tls;
  return endpoint;
}

/** A context's folder name: the hex SHA-256 of its name, as the docker CLI stores it. */
export function contextId(name: string): string {
  return createHash("sha256").update(name).digest("hex");
}

/** `unix:///x.sock` → `/x.sock`; undefined for an engine not on a Unix socket. */
export function socketPathOf(endpoint: DockerEndpoint): string | undefined {
  if (!endpoint.host.startsWith("unix://")) return undefined;
  const path = endpoint.host.slice("unix://".length);
  return path === "" ? defaultSocketPath() : path;
}

/** How messages name the endpoint: its host, and the Docker context it came from and why. */
export function describeEndpoint(endpoint: DockerEndpoint): string {
  // A host given as such (--host, DOCKER_HOST, a clients file, the default socket) names itself.
  if (endpoint.context === undefined) return endpoint.host;
  return `${endpoint.host} (Docker context \`${endpoint.context}\`, ${from(endpoint.source)})`;
}

/**
 * The socket docker-modem dials when nothing names an engine: Docker Desktop's socket in the home
 * folder when there is one, else /var/run/docker.sock.
 */
export function defaultSocketPath(): string {
  const desktop = join(homedir(), ".docker", "run", "docker.sock");
  try {
    accessSync(desktop);
    return desktop;
  } catch {
    return "/var/run/docker.sock";
  }
}

interface ContextMeta {
  Name?: string;
  Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } };
}

function readContextMeta(name: string, file: string, source: EndpointSource): ContextMeta {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    throw new UsageError(
      missing
        ? `Docker context \`${name}\` (${from(source)}) does not exist: no ${file}`
        : `cannot read Docker context \`${name}\` (${from(source)}): ${(err as Error).message}`,
      { hint: "see `docker context ls`; choose another with --context NAME, or --host URL" },
    );
  }
  try {
    const meta = JSON.parse(text) as unknown;
    if (meta === null || typeof meta !== "object") throw new Error("not a JSON object");
    return meta;
  } catch (err) {
    throw new UsageError(
      `cannot read Docker context \`${name}\` (${from(source)}): ${file}: ${(err as Error).message}`,
    );
  }
}

/** The TLS files a context keeps, or undefined when it keeps none. */
function contextTls(folder: string, skipVerify: boolean): TlsFiles | undefined {
  const tls: TlsFiles = { skipVerify };
  for (const kind of ["ca", "cert", "key"] as const) {
    const file = join(folder, `${kind}.pem`);
    if (existsSync(file)) tls[kind] = file;
  }
  const hasFiles = tls.ca !== undefined || tls.cert !== undefined || tls.key !== undefined;
  return hasFiles || skipVerify ? tls : undefined;
}

/**
 * An endpoint named by a host URL (--host, DOCKER_HOST): TLS as the docker CLI sets it from the
 * environment — DOCKER_TLS_VERIFY (verify, certificates in DOCKER_CERT_PATH, else the config
 * folder) or DOCKER_TLS (TLS without verifying the server).
 */
function hostEndpoint(host: string, source: EndpointSource, env: Env): DockerEndpoint {
  const endpoint: DockerEndpoint = { host: withScheme(host), source };
  if (isSshOrSocket(endpoint.host)) return endpoint;
  const verify = nonEmpty(env.DOCKER_TLS_VERIFY);
  if (!verify && !nonEmpty(env.DOCKER_TLS)) return endpoint;
  const certs = nonEmpty(env.DOCKER_CERT_PATH) ? env.DOCKER_CERT_PATH : dockerConfigFolder(env);
  const tls: TlsFiles = { skipVerify: !verify };
  for (const kind of ["ca", "cert", "key"] as const) {
    const file = join(certs, `${kind}.pem`);
    // Verifying needs the CA: name it even when it is missing, so that the error says which file.
    if (existsSync(file) || (verify && kind === "ca")) tls[kind] = file;
  }
  endpoint.tls = tls;
  return endpoint;
}

/** `host:2375` → `tcp://host:2375`; a path → `unix://path`. */
export function withScheme(host: string): string {
  if (host.startsWith("/")) return `unix://${host}`;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(host) ? host : `tcp://${host}`;
}

function isSshOrSocket(host: string): boolean {
  return /^(unix|npipe|ssh):\/\//.test(host);
}

/** config.json's currentContext, when it names a context other than `default`. */
function currentContextName(env: Env): string | undefined {
  const file = join(dockerConfigFolder(env), "config.json");
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    // No config file (or one the docker CLI would not read either): no current context.
    return undefined;
  }
  const name = (config as { currentContext?: unknown } | null)?.currentContext;
  return typeof name === "string" && name !== "" && name !== "default" ? name : undefined;
}

function from(source: EndpointSource): string {
  switch (source) {
    case "currentContext":
      return "the current context of the docker CLI's config.json";
    case "default socket":
      return "the default socket";
    case "clients file":
      return "base_url of the clients file";
    case "clients file context":
      return "`context` of the clients file";
    case "--host":
    case "--context":
    case "DOCKER_HOST":
    case "DOCKER_CONTEXT":
      return `from ${source}`;
  }
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== "";
}
