import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";

/**
 * A fault-injecting proxy in front of the test engine's socket, for reliability tests: berth is
 * pointed at it with DOCKER_HOST=unix://<socketPath>; it forwards every request to the engine and,
 * per a plan, spoils some answers. It listens on a Unix socket in a temporary folder and talks only
 * to the engine's socket.
 *
 * - `truncate`: the request reaches the engine; the answer is cut off half-way through its body
 *   (Content-Length says more), then the connection is closed.
 * - `reset`: the request reaches the engine (it may have been applied); the connection is closed
 *   before any answer.
 * - `error500`: answered 500 by the proxy; the engine never sees the request.
 * - `delay`: forwarded after `delayMs`.
 * - `hang`: never answered (until the proxy closes).
 */
export type FaultKind = "truncate" | "reset" | "error500" | "delay" | "hang";

export interface FaultRule {
  /** Matched against `METHOD /path?query` (the API version prefix removed). */
  request: RegExp;
  fault: FaultKind;
  /** The first matching request it applies to, counting from 1 (default 1). */
  nth?: number;
  /** How many matching requests from the nth on (default 1; Infinity for all). */
  count?: number;
  delayMs?: number;
}

export interface FaultRate {
  seed: number;
  /** Chance that a request not matched by a rule gets a fault, 0..1. */
  probability: number;
  kinds: FaultKind[];
  delayMs?: number;
  /** Requests never spoiled at random (matched as in FaultRule). */
  spare?: RegExp;
}

export interface FaultPlan {
  rules?: FaultRule[];
  rate?: FaultRate;
}

export interface ProxyRecord {
  index: number;
  /** `METHOD /path?query` without the API version prefix. */
  request: string;
  fault?: FaultKind;
}

export interface FaultProxy {
  socketPath: string;
  /** The value of DOCKER_HOST that points a client at the proxy. */
  dockerHost: string;
  /** Every request seen, in order, with the fault it got. */
  records: ProxyRecord[];
  /** The records that got a fault. */
  faults(): ProxyRecord[];
  /** Replaces the plan (counters of rules start again) and forgets the records. */
  setPlan(plan: FaultPlan): void;
  close(): Promise<void>;
}

const ENGINE_SOCKET = "/var/run/docker.sock";

export async function startFaultProxy(
  options: { plan?: FaultPlan; upstream?: string } = {},
): Promise<FaultProxy> {
  const upstream = options.upstream ?? ENGINE_SOCKET;
  const dir = mkdtempSync(join(tmpdir(), "berth-fault-proxy-"));
  const socketPath = join(dir, "engine.sock");
  const records: ProxyRecord[] = [];
  const sockets = new Set<Duplex>();
  let decide = decider(options.plan ?? {});

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => req.socket.destroy());
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  // Attach and exec streams (Connection: Upgrade) pass through untouched.
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    records.push({ index: records.length, request: describe(req) });
    tunnel(upstream, req, socket, head, sockets);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const record: ProxyRecord = { index: records.length, request: describe(req) };
    records.push(record);
    const fault = decide(record.request);
    if (fault !== undefined) record.fault = fault.kind;
    if (fault?.kind === "hang") return;
    if (fault?.kind === "error500") {
      res.writeHead(500, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ message: "fault-proxy: injected server error" }));
      return;
    }
    if (fault?.kind === "delay") await new Promise((r) => setTimeout(r, fault.delayMs));
    const answer = await forward(upstream, req, body);
    if (fault?.kind === "reset") {
      req.socket.destroy();
      return;
    }
    const headers = { ...answer.headers };
    delete headers["transfer-encoding"];
    delete headers.connection;
    headers["content-length"] = String(answer.body.length);
    if (fault?.kind === "truncate") {
      // Half the body at most, at least one byte short; an empty body is cut before its headers.
      if (answer.body.length === 0) {
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, headers);
      res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)), () => req.socket.destroy());
      return;
    }
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  }

  server.listen(socketPath);
  await once(server, "listening");
  return {
    socketPath,
    dockerHost: `unix://${socketPath}`,
    records,
    faults: () => records.filter((r) => r.fault !== undefined),
    setPlan(plan) {
      decide = decider(plan);
      records.length = 0;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function describe(req: IncomingMessage): string {
  return `${req.method ?? "GET"} ${(req.url ?? "/").replace(/^\/v\d+\.\d+\//, "/")}`;
}

/** The fault for each request in turn, from the plan's rules first, then its rate. */
function decider(plan: FaultPlan): (request: string) => { kind: FaultKind; delayMs: number } | undefined {
  const seen = new Map<FaultRule, number>();
  const random = plan.rate ? seeded(plan.rate.seed) : () => 1;
  return (request) => {
    for (const rule of plan.rules ?? []) {
      if (!rule.request.test(request)) continue;
      const n = (seen.get(rule) ?? 0) + 1;
      seen.set(rule, n);
      const first = rule.nth ?? 1;
      if (n >= first && n < first + (rule.count ?? 1)) {
        return { kind: rule.fault, delayMs: rule.delayMs ?? 0 };
      }
    }
    const rate = plan.rate;
    if (rate === undefined || rate.spare?.test(request)) return undefined;
    const roll = random();
    const pick = random();
    if (roll >= rate.probability || rate.kinds.length === 0) return undefined;
    const kind = rate.kinds[Math.floor(pick * rate.kinds.length)] as FaultKind;
    return { kind, delayMs: rate.delayMs ?? 0 };
  };
}

/** mulberry32: a small seeded generator, so a campaign's faults can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function readBody(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** The engine's whole answer to the same request (answers berth's commands get are finite). */
function forward(upstream: string, req: IncomingMessage, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers };
    delete headers.connection;
    const out = request({ socketPath: upstream, method: req.method, path: req.url, headers }, (res) => {
      readBody(res).then(
        (data) => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: data }),
        reject,
      );
    });
    out.on("error", reject);
    out.end(body);
  });
}

/** A raw two-way pipe to the engine for an upgraded (hijacked) connection. */
function tunnel(upstream: string, req: IncomingMessage, client: Duplex, head: Buffer, sockets: Set<Duplex>) {
  const engine = connect(upstream);
  sockets.add(engine);
  engine.on("close", () => sockets.delete(engine));
  const lines = [`${req.method} ${req.url} HTTP/1.1`];
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  engine.write(`${lines.join("\r\n")}\r\n\r\n`);
  if (head.length > 0) engine.write(head);
  engine.pipe(client);
  client.pipe(engine);
  const end = () => {
    engine.destroy();
    client.destroy();
  };
  engine.on("error", end);
  client.on("error", end);
  engine.on("close", end);
  client.on("close", end);
}
