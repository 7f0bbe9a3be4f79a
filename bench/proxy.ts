import { existsSync, rmSync } from "node:fs";
import http from "node:http";
import type { Socket } from "node:net";

/**
 * A counting proxy for the engine's API on a Unix socket of its own: every HTTP request is
 * counted (method and path, without ids and query) and forwarded unchanged to the engine socket.
 * docker-compose and the berth CLI are pointed at it with DOCKER_HOST=unix://PATH, so their
 * engine calls are counted the same way. Timing runs do not go through it.
 */
export interface CountingProxy {
  readonly socketPath: string;
  readonly dockerHost: string;
  total(): number;
  /** Counts by `METHOD /path` with ids replaced by `{id}`. */
  byOperation(): Record<string, number>;
  /** Every request since the last reset, as `METHOD url` (query included), in arrival order. */
  requests(): string[];
  reset(): void;
  close(): Promise<void>;
}

export async function startCountingProxy(
  socketPath: string,
  engineSocket = engineSocketPath(),
): Promise<CountingProxy> {
  if (existsSync(socketPath)) rmSync(socketPath);
  const counts = new Map<string, number>();
  const received: string[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    const operation = `${req.method ?? "?"} ${normalizePath(req.url ?? "/")}`;
    counts.set(operation, (counts.get(operation) ?? 0) + 1);
    received.push(`${req.method ?? "?"} ${req.url ?? "/"}`);
    const upstream = http.request(
      { socketPath: engineSocket, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: `bench proxy: ${err.message}` }));
    });
    req.pipe(upstream);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });

  return {
    socketPath,
    dockerHost: `unix://${socketPath}`,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    byOperation: () => Object.fromEntries([...counts.entries()].sort(([a], [b]) => a.localeCompare(b))),
    requests: () => [...received],
    reset: () => {
      counts.clear();
      received.length = 0;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
      if (existsSync(socketPath)) rmSync(socketPath);
    },
  };
}

/** The engine socket the bench talks to: DOCKER_HOST when it is a unix socket, else the default. */
export function engineSocketPath(): string {
  const host = process.env.DOCKER_HOST;
  if (host === undefined || host === "") return "/var/run/docker.sock";
  if (host.startsWith("unix://")) return host.slice("unix://".length);
  throw new Error(`the bench needs the engine on a Unix socket (DOCKER_HOST=${host})`);
}

/** `/v1.41/containers/3f…/json?x=1` → `/containers/{id}/json`. */
export function normalizePath(url: string): string {
  const path = (url.split("?")[0] ?? url).replace(/^\/v\d+\.\d+/, "");
  return path
    .split("/")
    .map((part, index, parts) => {
      const previous = parts[index - 1];
      if (
        previous === "containers" ||
        previous === "volumes" ||
        previous === "networks" ||
        previous === "exec"
      )
        return ["json", "create", "prune"].includes(part) ? part : "{id}";
      return part;
    })
    .join("/");
}
