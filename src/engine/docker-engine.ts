import type { IncomingMessage } from "node:http";
import { PassThrough, type Readable } from "node:stream";
import { dockerodeClass, type DockerodeClass, type EngineConnection } from "../common/lazy-modules.js";
import { CallCounter } from "./call-counter.js";
import type { EngineWriter, ExecOptions, LabelSelector, LogOptions, PathOwner } from "./engine.js";
import { firstEntryOwner } from "./tar-header.js";
import { labelFilters } from "./label-filters.js";
import { readFileSync } from "node:fs";
import { Agent as HttpsAgent } from "node:https";
import { UsageError } from "../common/berth-error.js";
import {
  describeEndpoint,
  resolveDockerEndpoint,
  socketPathOf,
  withScheme,
  type DockerEndpoint,
} from "./docker-context.js";
import {
  EngineApiError,
  EngineConflictError,
  EngineError,
  type EngineErrorContext,
  EngineTimeoutError,
  EngineTruncatedReplyError,
  EngineUnreachableError,
  ImageBuildError,
  ImagePullError,
  ImagePushError,
} from "./engine-errors.js";
import { BuildProgress } from "./build-progress.js";
import { PushProgress } from "./push-progress.js";
import { registryOf } from "./registry-auth.js";
import { logEngineCall, logEngineRequest, logEngineRetry, type EngineLog } from "./engine-log.js";
import {
  backoffMs,
  type DialError,
  engineErrorFor,
  isRetryable,
  pause,
  READ_ATTEMPTS,
  sendOnce,
  WireFailure,
} from "./engine-request.js";
import type {
  BuildRequest,
  BuildResult,
  ContainerCreateBody,
  ContainerDetails,
  ContainerSummary,
  ContainerUpdateBody,
  EndpointConfig,
  EngineEvent,
  EngineInfo,
  EngineVersion,
  ExecResult,
  ImageSummary,
  NetworkCreateBody,
  NetworkSummary,
  PushResult,
  RegistryAuth,
  VolumeCreateBody,
  VolumeSummary,
} from "./engine-types.js";
import type {
  NodeSummary,
  SecretCreateBody,
  SecretSummary,
  ServiceSpec,
  ServiceSummary,
  TaskFilter,
  TaskSummary,
} from "./swarm-types.js";

export interface DockerEngineOptions {
  /** Client name; `default` for the engine at DOCKER_HOST. */
  name?: string;
  /** `unix:///var/run/docker.sock`, `tcp://host:2375`, `http://…`, `https://…`, `ssh://…`. */
  baseUrl?: string;
  /**
   * The engine, with its TLS material (resolveDockerEndpoint); overrides baseUrl. Without either,
   * the engine the docker CLI would use in this process's environment (DOCKER_HOST, DOCKER_CONTEXT,
   * the current context, the default socket).
   */
  endpoint?: DockerEndpoint;
  /**
   * Time limit of ordinary calls (not waits, logs, pulls or exec), in ms; default
   * BERTH_ENGINE_TIMEOUT (seconds) from the environment, else 60 s.
   */
  callTimeoutMs?: number;
  /** Where each call is logged (debug: method, path, status, duration; trace: masked requests). */
  log?: EngineLog;
}

/** More than any archive's first entry header (PAX records included) needs. */
const MAX_ARCHIVE_HEAD = 64 * 1024;

interface DialRequest {
  method: "GET" | "POST" | "DELETE" | "PUT" | "HEAD";
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Statuses that count as success besides 2xx (e.g. 304 for start/stop). */
  alsoOk?: number[];
  stream?: boolean;
  hijack?: boolean;
  file?: Buffer;
  authconfig?: RegistryAuth;
  /** Overrides the call time limit; 0 means none. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Asking again changes nothing on the engine (default: GET, not a stream): a failed attempt on
   * the wire is retried. Anything else is never sent twice.
   */
  idempotent?: boolean;
}

interface Modem {
  dial(options: Record<string, unknown>, callback: (err: DialError | null, data: unknown) => void): void;
  followProgress(
    stream: Readable,
    onFinished: (err: Error | null, output: unknown[]) => void,
    onProgress?: (event: unknown) => void,
  ): void;
  demuxStream(stream: Readable, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): void;
  /** A path, or (DOCKER_HOST unset) a function that finds the default one (then kept in the cache). */
  socketPath?: string | (() => Promise<string>);
  socketPathCache?: string;
  host?: string;
  port?: number | string;
  protocol?: string;
}

const SUCCESS = [200, 201, 202, 204];
const DEFAULT_CALL_TIMEOUT_MS = 60_000;

/** BERTH_ENGINE_TIMEOUT: the time limit of ordinary engine calls, in seconds. */
function callTimeoutFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const seconds = Number(env.BERTH_ENGINE_TIMEOUT);
  return env.BERTH_ENGINE_TIMEOUT !== undefined && Number.isFinite(seconds) && seconds > 0
    ? seconds * 1000
    : undefined;
}

/**
 * dockerode's connection settings for an endpoint. Every setting is given, the unset ones as
 * undefined: dockerode fills what is missing from DOCKER_HOST, DOCKER_TLS_VERIFY and
 * DOCKER_CERT_PATH of the process, which must not override an engine chosen otherwise.
 * Throws a UsageError naming the file when TLS material cannot be read.
 */
export function connectionOptions(endpoint: DockerEndpoint): EngineConnection {
  const unset = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    protocol: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
    username: undefined,
  };
  const socketPath = socketPathOf(endpoint);
  if (socketPath !== undefined) return { ...unset, socketPath };
  if (endpoint.host.startsWith("npipe://")) return { ...unset, socketPath: endpoint.host.slice(8) };
  const url = new URL(endpoint.host);
  if (url.protocol === "ssh:") {
    // docker-modem runs `docker system dial-stdio` on the host over ssh, with the ssh agent's keys.
    return {
      ...unset,
      protocol: "ssh",
      host: url.hostname,
      port: url.port === "" ? 22 : Number(url.port),
      ...(url.username === "" ? {} : { username: decodeURIComponent(url.username) }),
      sshOptions: { agent: process.env.SSH_AUTH_SOCK },
    };
  }
  const tls = endpoint.tls ?? (url.protocol === "https:" ? { skipVerify: false } : undefined);
  const options: EngineConnection = {
    ...unset,
    host: url.hostname,
    port: url.port === "" ? (tls === undefined ? 2375 : 2376) : Number(url.port),
    protocol: tls === undefined ? "http" : "https",
  };
  if (tls === undefined) return options;
  if (tls.ca !== undefined) options.ca = readTlsFile(tls.ca, endpoint);
  if (tls.cert !== undefined) options.cert = readTlsFile(tls.cert, endpoint);
  if (tls.key !== undefined) options.key = readTlsFile(tls.key, endpoint);
  if (tls.skipVerify) (options as { agent?: unknown }).agent = new HttpsAgent({ rejectUnauthorized: false });
  return options;
}

function readTlsFile(file: string, endpoint: DockerEndpoint): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(
      `cannot read the TLS file ${file} of the engine ${describeEndpoint(endpoint)}: ${(err as Error).message}`,
    );
  }
}

/** The endpoint of a base URL (a clients file's `base_url`, DockerEngineOptions.baseUrl). */
export function baseUrlEndpoint(baseUrl: string): DockerEndpoint {
  return { host: withScheme(baseUrl), source: "clients file" };
}

/** Which key of the clients file named the engine, for the hint of an engine that does not answer. */
function clientsFileKeyOf(endpoint: DockerEndpoint): { clientsFileKey?: "base_url" | "context" } {
  if (endpoint.source === "clients file") return { clientsFileKey: "base_url" };
  if (endpoint.source === "clients file context") return { clientsFileKey: "context" };
  return {};
}

/**
 * berth's one door to a Docker engine: dockerode's modem for the connection, every call counted,
 * every failure turned into a typed EngineError naming the engine, the object and the operation.
 */
export class DockerEngine implements EngineWriter {
  readonly name: string;
  readonly calls = new CallCounter();
  readonly endpoint: DockerEndpoint;
  private client: InstanceType<DockerodeClass> | undefined;
  private readonly callTimeoutMs: number;
  private readonly log: EngineLog | undefined;

  constructor(options: DockerEngineOptions = {}) {
    this.name = options.name ?? "default";
    this.endpoint =
      options.endpoint ??
      (options.baseUrl !== undefined && options.baseUrl !== ""
        ? baseUrlEndpoint(options.baseUrl)
        : resolveDockerEndpoint({}, process.env));
    this.callTimeoutMs = options.callTimeoutMs ?? callTimeoutFromEnv(process.env) ?? DEFAULT_CALL_TIMEOUT_MS;
    this.log = options.log;
  }

  /** dockerode, and its connection, made on the first call that needs them. */
  private get docker(): InstanceType<DockerodeClass> {
    return (this.client ??= new (dockerodeClass())(connectionOptions(this.endpoint)));
  }

  private get modem(): Modem {
    return this.docker.modem as Modem;
  }

  // ---- read-only -------------------------------------------------------------------------------

  async ping(): Promise<void> {
    await this.dial({ operation: "ping", object: "engine" }, { method: "GET", path: "/_ping" });
  }

  async version(): Promise<EngineVersion> {
    return this.dial<EngineVersion>(
      { operation: "version", object: "engine" },
      { method: "GET", path: "/version" },
    );
  }

  async info(): Promise<EngineInfo> {
    return this.dial<EngineInfo>({ operation: "info", object: "engine" }, { method: "GET", path: "/info" });
  }

  async listContainers(labels: LabelSelector): Promise<ContainerSummary[]> {
    const call = { operation: "list containers", object: describeSelector(labels) };
    return this.dial<ContainerSummary[]>(call, {
      method: "GET",
      path: "/containers/json",
      query: { all: true, filters: labelFilters(labels) },
    });
  }

  async listVolumes(labels: LabelSelector): Promise<VolumeSummary[]> {
    const call = { operation: "list volumes", object: describeSelector(labels) };
    const answer = await this.dial<{ Volumes: VolumeSummary[] | null }>(call, {
      method: "GET",
      path: "/volumes",
      query: { filters: labelFilters(labels) },
    });
    return answer.Volumes ?? [];
  }

  async listNetworks(labels: LabelSelector): Promise<NetworkSummary[]> {
    const call = { operation: "list networks", object: describeSelector(labels) };
    return this.dial<NetworkSummary[]>(call, {
      method: "GET",
      path: "/networks",
      query: { filters: labelFilters(labels) },
    });
  }

  async listImages(): Promise<ImageSummary[]> {
    const call = { operation: "list images", object: "images" };
    return this.dial<ImageSummary[]>(call, { method: "GET", path: "/images/json" });
  }

  async containerSizes(labels: LabelSelector): Promise<Map<string, number>> {
    const call = { operation: "measure containers", object: describeSelector(labels) };
    const listed = await this.dial<{ Id: string; SizeRw?: number }[]>(call, {
      method: "GET",
      path: "/containers/json",
      query: { all: true, size: true, filters: labelFilters(labels) },
    });
    return new Map(listed.map((c) => [c.Id, c.SizeRw ?? 0]));
  }

  async volumeSizes(): Promise<Map<string, number>> {
    const call = { operation: "measure volumes", object: "volumes" };
    // `type` narrows the scan to volumes on engines of API 1.42 and later; older ones ignore it.
    const usage = await this.dial<{
      Volumes?: { Name: string; UsageData?: { Size: number } | null }[] | null;
    }>(call, { method: "GET", path: "/system/df", query: { type: "volume" } });
    return new Map((usage.Volumes ?? []).map((v) => [v.Name, v.UsageData?.Size ?? -1]));
  }

  async inspectContainer(idOrName: string): Promise<ContainerDetails> {
    return this.dial<ContainerDetails>(
      { operation: "inspect container", object: `container ${idOrName}` },
      { method: "GET", path: `/containers/${encodeURIComponent(idOrName)}/json` },
    );
  }

  async pathOwner(id: string, path: string): Promise<PathOwner> {
    const c = { operation: "read path owner", object: `container ${id} path ${path}` };
    const stream = await this.dial<Readable>(c, {
      method: "GET",
      path: `/containers/${encodeURIComponent(id)}/archive`,
      query: { path },
      stream: true,
      idempotent: true,
    });
    // Only the first entry's header is read: the rest of the archive (the folder's contents) is
    // never sent in full, the connection is closed at once.
    let data = Buffer.alloc(0);
    try {
      for await (const chunk of stream) {
        data = Buffer.concat([data, chunk as Buffer]);
        const result = firstEntryOwner(data);
        if ("owner" in result) return result.owner;
        if ("invalid" in result || data.length > MAX_ARCHIVE_HEAD) break;
      }
    } finally {
      stream.destroy();
    }
    throw new EngineTruncatedReplyError(
      this.context(c),
      `the engine at ${this.address()} sent no readable archive header for ${path}`,
      { mayHaveBeenApplied: false },
    );
  }

  async events(options: { since: number; until: number; labels?: LabelSelector }): Promise<EngineEvent[]> {
    const query: Record<string, string | number> = { since: options.since, until: options.until };
    const filters = options.labels ? labelFilters(options.labels) : undefined;
    if (filters !== undefined) query.filters = filters;
    const stream = await this.dial<Readable>(
      { operation: "events", object: "engine" },
      { method: "GET", path: "/events", query, stream: true, timeoutMs: 0 },
    );
    const text = await this.readStream(stream, { operation: "events", object: "engine" });
    return text
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as EngineEvent);
  }

  containerLogs(id: string, options: LogOptions): Promise<Readable> {
    return this.logsOf("container", id, options);
  }

  /**
   * A container's or a service's output: one stream of stdout and stderr, demultiplexed. No call
   * deadline (a followed log lasts as long as the caller wants); the caller's signal ends it.
   */
  private async logsOf(kind: "container" | "service", id: string, options: LogOptions): Promise<Readable> {
    const raw = await this.dial<Readable>(
      { operation: "logs", object: `${kind} ${id}` },
      {
        method: "GET",
        path: `/${kind}s/${encodeURIComponent(id)}/logs`,
        query: {
          stdout: true,
          stderr: true,
          follow: options.follow ?? false,
          tail: options.tail === undefined ? "all" : String(options.tail),
          timestamps: options.timestamps ?? false,
        },
        stream: true,
        timeoutMs: 0,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    const out = new PassThrough();
    this.modem.demuxStream(raw, out, out);
    raw.on("end", () => out.end());
    raw.on("error", (err) => out.destroy(err));
    return out;
  }

  // ---- images ----------------------------------------------------------------------------------

  async pullImage(
    reference: string,
    auth?: RegistryAuth,
    onProgress?: (event: unknown) => void,
  ): Promise<void> {
    const context = { operation: "pull image", object: `image ${reference}` };
    const { repository, tag } = splitReference(reference);
    const stream = await this.dial<Readable>(context, {
      method: "POST",
      path: "/images/create",
      query: { fromImage: repository, tag },
      stream: true,
      timeoutMs: 0,
      ...(auth ? { authconfig: auth } : {}),
    }).catch((err: unknown) => {
      // A refused or unknown registry is answered with an HTTP error before any stream starts.
      if (err instanceof EngineError && !(err instanceof EngineUnreachableError)) {
        throw new ImagePullError(this.context(context), err.engineMessage, { cause: err });
      }
      throw err;
    });
    const events = await new Promise<unknown[]>((resolve, reject) => {
      this.modem.followProgress(stream, (err, output) => (err ? reject(err) : resolve(output)), onProgress);
    }).catch((err: unknown) => {
      throw new ImagePullError(this.context(context), messageOf(err), { cause: err });
    });
    // The progress stream ends the same way whether the engine finished it or the connection broke.
    if ((stream as Partial<IncomingMessage>).complete === false) {
      throw new EngineTruncatedReplyError(
        this.context(context),
        `the engine at ${this.address()} closed the connection before the pull finished`,
        { mayHaveBeenApplied: true },
      );
    }
    // The engine answers 200 and reports a failed pull only inside the stream.
    const failure = events.find(
      (e): e is { error?: string; errorDetail?: { message?: string } } =>
        typeof e === "object" && e !== null && ("error" in e || "errorDetail" in e),
    );
    if (failure) {
      throw new ImagePullError(
        this.context(context),
        failure.errorDetail?.message ?? failure.error ?? "pull failed",
      );
    }
  }

  async buildImage(request: BuildRequest, onOutput?: (line: string) => void): Promise<BuildResult> {
    const context = { operation: "build image", object: `image ${request.tag}` };
    const stream = await this.dial<Readable>(context, {
      method: "POST",
      path: "/build",
      query: {
        t: request.tag,
        dockerfile: request.dockerfile,
        // The engine takes build arguments only in the query (a local socket or TLS carries it).
        buildargs: JSON.stringify(request.args),
        labels: JSON.stringify(request.labels),
        ...(request.target === undefined ? {} : { target: request.target }),
        nocache: request.noCache,
        rm: true,
        forcerm: true,
      },
      file: request.context,
      stream: true,
      timeoutMs: 0,
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
    const progress = new BuildProgress(onOutput);
    await new Promise<void>((resolve, reject) => {
      this.modem.followProgress(
        stream,
        (err) => (err ? reject(err) : resolve()),
        (event) => progress.add(event),
      );
    }).catch((err: unknown) => {
      throw new ImageBuildError(this.context(context), messageOf(err), progress.failure(), { cause: err });
    });
    if ((stream as Partial<IncomingMessage>).complete === false) {
      throw new EngineTruncatedReplyError(
        this.context(context),
        `the engine at ${this.address()} closed the connection before the build finished`,
        { mayHaveBeenApplied: true },
      );
    }
    // Like a pull, a failed build is answered 200 and reported inside the stream.
    if (progress.error !== undefined)
      throw new ImageBuildError(this.context(context), progress.error, progress.failure());
    if (progress.imageId === undefined)
      throw new ImageBuildError(this.context(context), "the engine named no image id", progress.failure());
    return { imageId: progress.imageId };
  }

  async pushImage(
    reference: string,
    auth?: RegistryAuth,
    onProgress?: (line: string) => void,
  ): Promise<PushResult> {
    const context = { operation: "push image", object: `image ${reference}` };
    const { repository, tag } = splitReference(reference);
    const stream = await this.dial<Readable>(context, {
      method: "POST",
      path: `/images/${encodeURIComponent(repository)}/push`,
      query: { tag },
      stream: true,
      timeoutMs: 0,
      // The engine wants the header even for a registry that needs no credentials.
      authconfig: auth ?? { serveraddress: registryOf(reference) },
    }).catch((err: unknown) => {
      // An unknown local image, a refused registry: an HTTP error before any stream starts.
      if (err instanceof EngineError && !(err instanceof EngineUnreachableError)) {
        throw new ImagePushError(this.context(context), err.engineMessage, { cause: err });
      }
      throw err;
    });
    const progress = new PushProgress(onProgress);
    await new Promise<void>((resolve, reject) => {
      this.modem.followProgress(
        stream,
        (err) => (err ? reject(err) : resolve()),
        (event) => progress.add(event),
      );
    }).catch((err: unknown) => {
      throw new ImagePushError(this.context(context), messageOf(err), { cause: err });
    });
    if ((stream as Partial<IncomingMessage>).complete === false) {
      throw new EngineTruncatedReplyError(
        this.context(context),
        `the engine at ${this.address()} closed the connection before the push finished`,
        { mayHaveBeenApplied: true },
      );
    }
    // Like a pull, a refused push is answered 200 and reported inside the stream.
    if (progress.error !== undefined) throw new ImagePushError(this.context(context), progress.error);
    return { digest: progress.digest };
  }

  async tagImage(source: string, repository: string, tag: string): Promise<void> {
    await this.dial(
      { operation: "tag image", object: `image ${source}` },
      { method: "POST", path: `/images/${encodeURIComponent(source)}/tag`, query: { repo: repository, tag } },
    );
  }

  async removeImage(reference: string): Promise<void> {
    await this.dial(
      { operation: "remove image", object: `image ${reference}` },
      { method: "DELETE", path: `/images/${encodeURIComponent(reference)}` },
    );
  }

  async importImage(tar: Buffer, repository: string, tag: string): Promise<void> {
    const context = { operation: "import image", object: `image ${repository}:${tag}` };
    const stream = await this.dial<Readable>(context, {
      method: "POST",
      path: "/images/create",
      query: { fromSrc: "-", repo: repository, tag },
      file: tar,
      stream: true,
    });
    const text = await this.readStream(stream, context);
    if (text.includes('"error"')) throw new EngineApiError(this.context(context), 500, text.trim());
  }

  // ---- containers ------------------------------------------------------------------------------

  async createContainer(name: string, body: ContainerCreateBody): Promise<string> {
    // The name goes in the query and the spec only in the body: environment values must never
    // end up in a URL (and so in proxy or engine logs).
    const answer = await this.dial<{ Id: string }>(
      { operation: "create container", object: `container ${name}` },
      { method: "POST", path: "/containers/create", query: { name }, body },
    );
    return answer.Id;
  }

  async startContainer(id: string): Promise<void> {
    await this.dial(
      { operation: "start container", object: `container ${id}` },
      { method: "POST", path: `/containers/${encodeURIComponent(id)}/start`, alsoOk: [304] },
    );
  }

  async stopContainer(id: string, timeoutSeconds?: number): Promise<void> {
    await this.dial(
      { operation: "stop container", object: `container ${id}` },
      {
        method: "POST",
        path: `/containers/${encodeURIComponent(id)}/stop`,
        query: timeoutSeconds === undefined ? {} : { t: timeoutSeconds },
        alsoOk: [304],
        // The engine waits up to t seconds before it kills; leave room for that.
        timeoutMs: this.callTimeoutMs + (timeoutSeconds ?? 10) * 1000,
      },
    );
  }

  async killContainer(id: string, signal?: string): Promise<void> {
    await this.dial(
      { operation: "kill container", object: `container ${id}` },
      {
        method: "POST",
        path: `/containers/${encodeURIComponent(id)}/kill`,
        query: signal === undefined ? {} : { signal },
      },
    );
  }

  async removeContainer(id: string, options: { volumes?: boolean; force?: boolean } = {}): Promise<void> {
    await this.dial(
      { operation: "remove container", object: `container ${id}` },
      {
        method: "DELETE",
        path: `/containers/${encodeURIComponent(id)}`,
        query: { v: options.volumes ?? false, force: options.force ?? false },
      },
    );
  }

  async renameContainer(id: string, newName: string): Promise<void> {
    await this.dial(
      { operation: "rename container", object: `container ${id}` },
      { method: "POST", path: `/containers/${encodeURIComponent(id)}/rename`, query: { name: newName } },
    );
  }

  async updateContainer(id: string, body: ContainerUpdateBody): Promise<void> {
    await this.dial(
      { operation: "update container", object: `container ${id}` },
      { method: "POST", path: `/containers/${encodeURIComponent(id)}/update`, body },
    );
  }

  async waitContainer(id: string, signal?: AbortSignal): Promise<number> {
    const answer = await this.dial<{ StatusCode: number }>(
      { operation: "wait container", object: `container ${id}` },
      {
        method: "POST",
        path: `/containers/${encodeURIComponent(id)}/wait`,
        query: { condition: "not-running" },
        timeoutMs: 0,
        // Waiting again for the same container changes nothing.
        idempotent: true,
        ...(signal ? { signal } : {}),
      },
    );
    return answer.StatusCode;
  }

  async exec(id: string, command: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const object = `container ${id}`;
    const created = await this.dial<{ Id: string }>(
      { operation: "create exec", object },
      {
        method: "POST",
        path: `/containers/${encodeURIComponent(id)}/exec`,
        body: {
          Cmd: command,
          AttachStdout: !options.detach,
          AttachStderr: !options.detach,
          ...(options.user ? { User: options.user } : {}),
          ...(options.env ? { Env: options.env } : {}),
          ...(options.workingDir ? { WorkingDir: options.workingDir } : {}),
        },
      },
    );
    if (options.detach) {
      await this.dial(
        { operation: "start exec", object },
        { method: "POST", path: `/exec/${created.Id}/start`, body: { Detach: true, Tty: false } },
      );
      return { exitCode: null, output: "" };
    }
    const timeoutMs = options.timeoutMs ?? 0;
    const stream = await this.dial<Readable>(
      { operation: "start exec", object },
      {
        method: "POST",
        path: `/exec/${created.Id}/start`,
        body: { Detach: false, Tty: false },
        stream: true,
        hijack: true,
        timeoutMs,
      },
    );
    const output = await this.collectExecOutput(stream, timeoutMs, { operation: "exec", object });
    const inspected = await this.dial<{ ExitCode: number | null; Running: boolean }>(
      { operation: "inspect exec", object },
      { method: "GET", path: `/exec/${created.Id}/json` },
    );
    return { exitCode: inspected.ExitCode, output };
  }

  private collectExecOutput(
    stream: Readable,
    timeoutMs: number,
    context: { operation: string; object: string },
  ): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const sink = new PassThrough();
      const chunks: Buffer[] = [];
      sink.on("data", (chunk: Buffer) => chunks.push(chunk));
      this.modem.demuxStream(stream, sink, sink);
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              stream.destroy();
              reject(
                new EngineTimeoutError(
                  this.context(context),
                  `the command did not finish within ${Math.round(timeoutMs / 1000)} s`,
                ),
              );
            }, timeoutMs)
          : undefined;
      const finish = () => {
        if (timer) clearTimeout(timer);
        resolve(Buffer.concat(chunks).toString("utf8"));
      };
      stream.on("end", finish);
      stream.on("close", finish);
      stream.on("error", (err) => {
        if (timer) clearTimeout(timer);
        reject(new EngineApiError(this.context(context), 500, messageOf(err), { cause: err }));
      });
    });
  }

  // ---- volumes and networks --------------------------------------------------------------------

  async createVolume(body: VolumeCreateBody): Promise<void> {
    await this.dial(
      { operation: "create volume", object: `volume ${body.Name}` },
      { method: "POST", path: "/volumes/create", body },
    );
  }

  async removeVolume(name: string): Promise<void> {
    await this.dial(
      { operation: "remove volume", object: `volume ${name}` },
      { method: "DELETE", path: `/volumes/${encodeURIComponent(name)}` },
    );
  }

  async createNetwork(body: NetworkCreateBody): Promise<string> {
    // Before API 1.44 the engine allows two networks with one name unless asked to check.
    const answer = await this.dial<{ Id: string }>(
      { operation: "create network", object: `network ${body.Name}` },
      { method: "POST", path: "/networks/create", body: { CheckDuplicate: true, ...body } },
    );
    return answer.Id;
  }

  async removeNetwork(idOrName: string): Promise<void> {
    await this.dial(
      { operation: "remove network", object: `network ${idOrName}` },
      { method: "DELETE", path: `/networks/${encodeURIComponent(idOrName)}` },
    );
  }

  async connectNetwork(network: string, container: string, endpoint?: EndpointConfig): Promise<void> {
    await this.dial(
      { operation: "connect network", object: `network ${network} / container ${container}` },
      {
        method: "POST",
        path: `/networks/${encodeURIComponent(network)}/connect`,
        body: { Container: container, EndpointConfig: endpoint ?? {} },
      },
    );
  }

  async disconnectNetwork(network: string, container: string, force = false): Promise<void> {
    await this.dial(
      { operation: "disconnect network", object: `network ${network} / container ${container}` },
      {
        method: "POST",
        path: `/networks/${encodeURIComponent(network)}/disconnect`,
        body: { Container: container, Force: force },
      },
    );
  }

  // ---- swarm -----------------------------------------------------------------------------------

  async listServices(labels: LabelSelector): Promise<ServiceSummary[]> {
    const call = { operation: "list services", object: describeSelector(labels) };
    return this.dial<ServiceSummary[]>(call, {
      method: "GET",
      path: "/services",
      query: { status: true, filters: labelFilters(labels) },
    });
  }

  async inspectService(idOrName: string): Promise<ServiceSummary> {
    return this.dial<ServiceSummary>(
      { operation: "inspect service", object: `service ${idOrName}` },
      { method: "GET", path: `/services/${encodeURIComponent(idOrName)}` },
    );
  }

  async listTasks(filter: TaskFilter = {}): Promise<TaskSummary[]> {
    const filters: Record<string, string[]> = {};
    for (const [key, values] of Object.entries(filter) as [string, string[] | undefined][]) {
      if (values !== undefined && values.length > 0) filters[key] = values;
    }
    const object = Object.keys(filters).length === 0 ? "swarm" : JSON.stringify(filters);
    return this.dial<TaskSummary[]>(
      { operation: "list tasks", object },
      {
        method: "GET",
        path: "/tasks",
        query: Object.keys(filters).length === 0 ? {} : { filters: JSON.stringify(filters) },
      },
    );
  }

  async listNodes(): Promise<NodeSummary[]> {
    return this.dial<NodeSummary[]>(
      { operation: "list nodes", object: "swarm" },
      { method: "GET", path: "/nodes" },
    );
  }

  async listSecrets(labels: LabelSelector): Promise<SecretSummary[]> {
    const call = { operation: "list secrets", object: describeSelector(labels) };
    return this.dial<SecretSummary[]>(call, {
      method: "GET",
      path: "/secrets",
      query: { filters: labelFilters(labels) },
    });
  }

  serviceLogs(idOrName: string, options: LogOptions): Promise<Readable> {
    return this.logsOf("service", idOrName, options);
  }

  async createService(spec: ServiceSpec, auth?: RegistryAuth): Promise<string> {
    // The spec goes in the body only (its environment must never end up in a URL).
    const answer = await this.dial<{ ID: string }>(
      { operation: "create service", object: `service ${spec.Name}` },
      { method: "POST", path: "/services/create", body: spec, ...(auth ? { authconfig: auth } : {}) },
    );
    return answer.ID;
  }

  async updateService(
    id: string,
    version: number,
    spec: ServiceSpec,
    options: { rollback?: boolean; auth?: RegistryAuth } = {},
  ): Promise<string[]> {
    const call = { operation: "update service", object: `service ${spec.Name}` };
    try {
      const answer = await this.dial<{ Warnings?: string[] | null } | undefined>(call, {
        method: "POST",
        path: `/services/${encodeURIComponent(id)}/update`,
        query: { version, ...(options.rollback === true ? { rollback: "previous" } : {}) },
        body: spec,
        ...(options.auth ? { authconfig: options.auth } : {}),
      });
      return answer?.Warnings ?? [];
    } catch (err) {
      throw outOfSequence(err, this.context(call), version) ?? err;
    }
  }

  async removeService(idOrName: string): Promise<void> {
    await this.dial(
      { operation: "remove service", object: `service ${idOrName}` },
      { method: "DELETE", path: `/services/${encodeURIComponent(idOrName)}` },
    );
  }

  async createSecret(body: SecretCreateBody): Promise<string> {
    const answer = await this.dial<{ ID: string }>(
      { operation: "create secret", object: `secret ${body.Name}` },
      { method: "POST", path: "/secrets/create", body },
    );
    return answer.ID;
  }

  async removeSecret(idOrName: string): Promise<void> {
    await this.dial(
      { operation: "remove secret", object: `secret ${idOrName}` },
      { method: "DELETE", path: `/secrets/${encodeURIComponent(idOrName)}` },
    );
  }

  // ---- plumbing --------------------------------------------------------------------------------

  /** Where the engine is expected, for messages: the socket or host, and the Docker context it came from. */
  private address(): string {
    return describeEndpoint(this.endpoint);
  }

  private context(c: { operation: string; object: string }): EngineErrorContext {
    return { engine: this.name, object: c.object, operation: c.operation };
  }

  /**
   * One engine call: counted once, sent (a read up to READ_ATTEMPTS times, with a growing pause
   * between attempts, when the wire failed it), settled within its time limit, and any failure
   * turned into a typed EngineError. A call that changes something is sent once: when it fails
   * after it was sent, the error says it may have been applied.
   */
  private async dial<T = unknown>(
    c: { operation: string; object: string },
    request: DialRequest,
  ): Promise<T> {
    this.calls.record(c.operation);
    const idempotent = request.idempotent ?? (request.method === "GET" && request.stream !== true);
    const wire = {
      options: this.modemOptions(request),
      stream: request.stream === true || request.hijack === true,
      timeoutMs: request.timeoutMs ?? this.callTimeoutMs,
      ...(request.signal ? { signal: request.signal } : {}),
    };
    // Made before the first attempt: a setting that cannot be used (a TLS file) is not a wire failure.
    const modem = this.modem;
    const line = { engine: this.name, method: request.method, path: request.path };
    logEngineRequest(this.log, { ...line, query: request.query, body: request.body });
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      const status = statusWatcher(modem);
      try {
        const answer = (await sendOnce(status.dialer, wire)) as T;
        logEngineCall(this.log, { ...line, status: status.code, ms: Date.now() - started, attempt });
        return answer;
      } catch (err) {
        const failure = err instanceof WireFailure ? err : new WireFailure("other", messageOf(err));
        // The failure's kind only: an engine's message may echo a value of the request.
        const code = failure.detail.status ?? status.code;
        logEngineCall(this.log, {
          ...line,
          status: code,
          ms: Date.now() - started,
          attempt,
          error: failure.kind,
        });
        if (!idempotent || attempt >= READ_ATTEMPTS || !isRetryable(failure)) {
          throw engineErrorFor(this.context(c), this.address(), failure, {
            mutating: !idempotent,
            attempts: attempt,
            ...clientsFileKeyOf(this.endpoint),
          });
        }
        const pauseMs = backoffMs(attempt, Math.random());
        logEngineRetry(this.log, { ...line, attempt: attempt + 1, pauseMs, reason: failure.kind });
        await pause(pauseMs, request.signal);
      }
    }
  }

  private modemOptions(request: DialRequest): Record<string, unknown> {
    const statusCodes: Record<number, boolean> = {};
    for (const status of [...SUCCESS, ...(request.alsoOk ?? [])]) statusCodes[status] = true;
    const hasQuery = request.query !== undefined && Object.keys(request.query).length > 0;
    const options: Record<string, unknown> = {
      path: hasQuery ? `${request.path}?` : request.path,
      method: request.method,
      statusCodes,
      hijack: request.hijack ?? false,
      options: {
        ...(hasQuery ? { _query: stringifyQuery(request.query ?? {}) } : {}),
        _body: request.body ?? {},
      },
    };
    if (request.authconfig) options.authconfig = request.authconfig;
    if (request.file) options.file = request.file;
    return options;
  }

  /** A response stream read to its end; a connection that breaks first is a typed error. */
  private async readStream(stream: Readable, c: { operation: string; object: string }): Promise<string> {
    try {
      const text = await readAll(stream);
      if ((stream as Partial<IncomingMessage>).complete === false) throw new Error("incomplete");
      return text;
    } catch (err) {
      throw new EngineTruncatedReplyError(
        this.context(c),
        `the engine at ${this.address()} closed the connection before its answer was complete`,
        { cause: err, mayHaveBeenApplied: c.operation !== "events" },
      );
    }
  }
}

/** The modem, seen through a dialer that notes the HTTP status of the answer (for the log). */
function statusWatcher(modem: Modem): { dialer: Pick<Modem, "dial">; readonly code: number | undefined } {
  let code: number | undefined;
  return {
    dialer: {
      dial: (options, callback) =>
        modem.dial(options, (err, data) => {
          const answer = data as Partial<IncomingMessage> | null | undefined;
          if (typeof answer?.statusCode === "number") code = answer.statusCode;
          callback(err, data);
        }),
    },
    get code() {
      return code;
    },
  };
}

/**
 * The engine refuses an update that names a version older than the service's ("update out of
 * sequence", HTTP 500 on API 1.41): someone changed the service since berth looked. That is a
 * conflict, reported as one — never retried with the newer version, which would overwrite it.
 */
function outOfSequence(
  err: unknown,
  context: EngineErrorContext,
  version: number,
): EngineConflictError | undefined {
  if (!(err instanceof EngineApiError) || !/update out of sequence/i.test(err.engineMessage))
    return undefined;
  return new EngineConflictError(
    context,
    `the service was changed by someone else since berth read it at version ${version} (update out of sequence): berth does not overwrite it`,
    { cause: err, hint: "run berth again: it looks at the service afresh and plans from what it is now" },
  );
}

function describeSelector(labels: LabelSelector): string {
  return Object.entries(labels)
    .map(([k, v]) => (v === true ? k : `${k}=${v}`))
    .join(",");
}

function stringifyQuery(
  query: Record<string, string | number | boolean | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    out[key] = typeof value === "boolean" ? (value ? "1" : "0") : String(value);
  }
  return out;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Splits `repo[:tag][@digest]`; a colon inside the registry's host:port is not a tag. */
export function splitReference(reference: string): { repository: string; tag: string } {
  const at = reference.indexOf("@");
  if (at >= 0) return { repository: reference.slice(0, at), tag: reference.slice(at + 1) };
  const slash = reference.lastIndexOf("/");
  const colon = reference.lastIndexOf(":");
  if (colon > slash) return { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { repository: reference, tag: "latest" };
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf8");
}
