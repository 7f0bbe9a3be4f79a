import { accessSync } from "node:fs";
import { request, type ClientRequest, type RequestOptions } from "node:http";
import { homedir } from "node:os";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { LABEL } from "../model/labels.js";
import type { LabelSelector } from "./engine.js";
import { labelFilters } from "./label-filters.js";

/**
 * The four lists a first look at an engine reads (see observeEngine: berth's containers, every
 * volume, network and image), requested by the `berth` executable before it loads the rest of
 * berth: the engine answers while Node compiles berth and berth parses the map. Only node:http
 * here, so that starting them costs a few milliseconds; DockerEngine takes the answers in place of
 * its first list calls with the same selectors (see DockerEngine's `early` option).
 *
 * Only for an engine on a Unix socket (DOCKER_HOST unset or unix://): anything else (TCP, TLS,
 * ssh) is dialled by dockerode's modem as usual.
 */
export type EarlyListName = "containers" | "volumes" | "networks" | "images";

/** An answer, or nothing to use: then the engine is asked again, and any failure reported then. */
export type EarlyAnswer = { ok: true; body: unknown } | { ok: false };

export interface EarlyLists {
  /** The socket the lists were requested on; an engine dialling another one ignores them. */
  socketPath: string;
  answers: Record<EarlyListName, Promise<EarlyAnswer>>;
  /** Abandons the requests still open (a run that ended without reading them). */
  dispose(): void;
}

/** The labels each early list selects: containers with berth's map label, everything else whole. */
export const EARLY_SELECTORS: Readonly<Record<EarlyListName, LabelSelector>> = {
  containers: { [LABEL.map]: true },
  volumes: {},
  networks: {},
  images: {},
};

/** The requests, as DockerEngine makes them for the same lists with EARLY_SELECTORS. */
const PATHS: Record<EarlyListName, string> = {
  containers: withFilters("/containers/json?all=1", EARLY_SELECTORS.containers),
  volumes: withFilters("/volumes", EARLY_SELECTORS.volumes),
  networks: withFilters("/networks", EARLY_SELECTORS.networks),
  images: "/images/json",
};

function withFilters(path: string, labels: LabelSelector): string {
  const filters = labelFilters(labels);
  if (filters === undefined) return path;
  return `${path}${path.includes("?") ? "&" : "?"}filters=${encodeURIComponent(filters)}`;
}

/** Unused answers are abandoned after this long, as a call of DockerEngine would time out. */
const TIMEOUT_MS = 60_000;
/** A bound on the wait for the requests to be written (they normally are in two or three turns). */
const MAX_TURNS = 50;

/**
 * The socket docker-modem dials by default for this environment (DOCKER_HOST unset: Docker
 * Desktop's socket in the home folder when there is one, else /var/run/docker.sock), or
 * undefined when DOCKER_HOST names something other than a Unix socket.
 */
export function defaultSocketPath(env: NodeJS.ProcessEnv): string | undefined {
  const host = env.DOCKER_HOST;
  if (host !== undefined && host !== "") {
    if (!host.startsWith("unix://")) return undefined;
    const path = host.slice("unix://".length);
    if (path !== "") return path;
  }
  const desktop = join(homedir(), ".docker", "run", "docker.sock");
  try {
    accessSync(desktop);
    return desktop;
  } catch {
    return "/var/run/docker.sock";
  }
}

/**
 * Requests the four lists on `socketPath` and resolves once the requests are written to their
 * sockets (loading berth next is synchronous: a request not yet written would wait for it).
 * Never rejects; a failed request is an answer `{ ok: false }`.
 */
export async function requestEarlyLists(socketPath: string): Promise<EarlyLists> {
  const requests: ClientRequest[] = [];
  const written: Promise<void>[] = [];
  const ask = (path: string): Promise<EarlyAnswer> =>
    new Promise((resolve) => {
      const options: RequestOptions & { servername: string } = {
        socketPath,
        path,
        method: "GET",
        signal: AbortSignal.timeout(TIMEOUT_MS),
        // Means nothing on a Unix socket (it names a TLS server); given, Node does not test the
        // host name for an IP address, whose IPv6 pattern takes ~15 ms to compile in a new process.
        servername: "docker",
      };
      const req = request(options);
      requests.push(req);
      written.push(
        new Promise((done) => {
          req
            .once("finish", done)
            .once("error", () => done())
            .once("close", done);
        }),
      );
      req.once("error", () => resolve({ ok: false }));
      req.once("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.once("error", () => resolve({ ok: false }));
        res.once("end", () => {
          if (res.statusCode !== 200) return resolve({ ok: false });
          try {
            resolve({ ok: true, body: JSON.parse(Buffer.concat(chunks).toString()) as unknown });
          } catch {
            resolve({ ok: false });
          }
        });
      });
      req.end();
    });
  const answers = {
    containers: ask(PATHS.containers),
    volumes: ask(PATHS.volumes),
    networks: ask(PATHS.networks),
    images: ask(PATHS.images),
  };
  let allWritten = false;
  void Promise.all(written).then(() => (allWritten = true));
  for (let turn = 0; !allWritten && turn < MAX_TURNS; turn++) await nextTurn();
  return {
    socketPath,
    answers,
    dispose: () => {
      for (const req of requests) req.destroy();
    },
  };
}
