import { request, type ClientRequest, type RequestOptions } from "node:http";
import { setImmediate as nextTurn } from "node:timers/promises";
import { LABEL } from "../model/labels.js";
import { PLAN_ACTIONS } from "../plan/plan-types.js";
import { labelFilters } from "../engine/label-filters.js";
import { resolveDockerEndpoint, socketPathOf } from "../engine/docker-context.js";
import { commandOf, GLOBAL_OPTIONS, hasOption, HELP_FLAGS, optionValue, VERSION_FLAGS } from "./argv.js";

/**
 * The `berth` executable's one speed trick with the engine: before it loads the CLI, it asks the
 * default engine for the four lists a first look reads, so that the engine answers while Node
 * loads berth and berth parses the map. The CLI reads the answers through a decorator of the
 * read-only engine (prefetched-reader.ts), for reconcile's first look only.
 *
 * Only node's own modules here: this file is part of the executable's small bundle. Only for an
 * engine on a Unix socket; TCP, TLS and ssh are dialled by dockerode as usual.
 */
export type ListName = "containers" | "volumes" | "networks" | "images";

/** An answer, or nothing to use: then the engine is asked again, and any failure reported then. */
export type PrefetchedAnswer = { ok: true; body: unknown } | { ok: false };

export interface PrefetchedLists {
  /** The socket the lists were requested on: only an engine that dials it may use them. */
  socketPath: string;
  answers: Record<ListName, Promise<PrefetchedAnswer>>;
  /** Abandons the requests still open (a run that ended without reading them). */
  dispose(): void;
}

/**
 * The commands whose first engine calls are reconcile's first look at the default engine: `plan`
 * and the run commands (run-commands.ts).
 */
export const FIRST_LOOK_COMMANDS: ReadonlySet<string> = new Set(["plan", ...PLAN_ACTIONS]);

/**
 * The requests. Containers: berth's only (any map's, with their locks and state records), so that
 * the engine writes, and berth decodes, only its side of a shared host. That is sound because a
 * first look only ever concludes that there is nothing to do (see ReconcileOptions.firstLook), and
 * a plan with nothing to do is the same whether containers berth did not make were listed or not
 * (test/unit/plan/plan-property-foreign.test.ts). Volumes, networks and images are listed whole.
 */
const PATHS: Record<ListName, string> = {
  containers: `/containers/json?all=1&filters=${encodeURIComponent(labelFilters({ [LABEL.map]: true }) ?? "")}`,
  volumes: "/volumes",
  networks: "/networks",
  images: "/images/json",
};

/** Unused answers are abandoned after this long, as an engine call would time out. */
const TIMEOUT_MS = 60_000;
/** A bound on the wait for the requests to be written (they normally are in two or three turns). */
const MAX_TURNS = 50;

/**
 * Whether `argv` certainly runs a first look at the default engine: a command of
 * FIRST_LOOK_COMMANDS, without help or version, and without `--clients` (the map may not use the
 * default engine at all). Any doubt means no prefetch: the CLI then observes as it would anyway.
 */
export function prefetches(argv: readonly string[]): boolean {
  if ([HELP_FLAGS, VERSION_FLAGS, GLOBAL_OPTIONS.clients.flags].some((f) => hasOption(argv, f))) return false;
  const command = commandOf(argv);
  return command !== undefined && FIRST_LOOK_COMMANDS.has(command);
}

/** Starts the prefetch when `argv` and the environment allow it (see prefetches). */
export async function startPrefetch(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<PrefetchedLists | undefined> {
  if (!prefetches(argv)) return undefined;
  const socketPath = defaultSocketPath(env, argv);
  return socketPath === undefined ? undefined : requestLists(socketPath);
}

/**
 * The Unix socket of the engine the CLI will use (--host, --context, DOCKER_HOST, DOCKER_CONTEXT,
 * the current context, the default socket: docker-context.ts), or undefined when that engine is not
 * on a Unix socket, or cannot be resolved (the CLI then reports why).
 */
export function defaultSocketPath(env: NodeJS.ProcessEnv, argv: readonly string[] = []): string | undefined {
  try {
    const choice = {
      ...optionalValue("host", optionValue(argv, GLOBAL_OPTIONS.host.flags)),
      ...optionalValue("context", optionValue(argv, GLOBAL_OPTIONS.context.flags)),
    };
    return socketPathOf(resolveDockerEndpoint(choice, env));
  } catch {
    return undefined;
  }
}

function optionalValue<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/**
 * Requests the four lists on `socketPath` and resolves once the requests are written to their
 * sockets (loading berth next is synchronous: a request not yet written would wait for it).
 * Never rejects; a failed request is an answer `{ ok: false }`.
 */
export async function requestLists(socketPath: string): Promise<PrefetchedLists> {
  const requests: ClientRequest[] = [];
  const written: Promise<void>[] = [];
  const ask = (path: string): Promise<PrefetchedAnswer> => {
    const req = request({
      socketPath,
      path,
      method: "GET",
      signal: AbortSignal.timeout(TIMEOUT_MS),
      // Means nothing on a Unix socket (it names a TLS server); given, Node does not test the
      // host name for an IP address, whose IPv6 pattern takes ~15 ms to compile in a new process.
      servername: "docker",
    } as RequestOptions & { servername: string });
    requests.push(req);
    written.push(
      new Promise((done) => {
        req
          .once("finish", () => done())
          .once("error", () => done())
          .once("close", () => done());
      }),
    );
    const answer = answerOf(req);
    req.end();
    return answer;
  };
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

/** The decoded body of a 200 answer; `{ ok: false }` for anything else. */
function answerOf(req: ClientRequest): Promise<PrefetchedAnswer> {
  return new Promise((resolve) => {
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
  });
}
