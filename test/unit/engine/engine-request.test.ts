import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerEngine } from "../../../src/engine/docker-engine.js";
import {
  EngineConnectionLostError,
  EngineTimeoutError,
  EngineTruncatedReplyError,
  EngineUnreachableError,
} from "../../../src/engine/engine-errors.js";
import { backoffMs, isRetryable, READ_ATTEMPTS, WireFailure } from "../../../src/engine/engine-request.js";
import { REPO_ROOT } from "../../helpers/cli.js";

/**
 * The request plumbing of DockerEngine against a small HTTP server on a Unix socket that answers
 * as told (not Docker: the answers are the faults themselves). Every call settles — with the
 * answer or a typed error — and reads are asked again, writes never.
 */
type Behaviour = "ok" | "truncate" | "reset" | "silent" | "bad-json";

let server: Server;
let dir: string;
let socketPath: string;
let script: Behaviour[] = [];
let seen: string[] = [];

function answer(req: IncomingMessage, res: ServerResponse): void {
  seen.push(`${req.method} ${req.url}`);
  const behaviour = script.shift() ?? "ok";
  const body = JSON.stringify({ Id: "abc123", Names: ["/x"], padding: "y".repeat(200) });
  if (behaviour === "silent") return;
  if (behaviour === "reset") return void req.socket.destroy();
  res.setHeader("Content-Type", "application/json");
  if (behaviour === "bad-json") return void res.end("{not json");
  res.setHeader("Content-Length", String(Buffer.byteLength(body)));
  if (behaviour === "ok") return void res.end(body);
  res.write(body.slice(0, 50), () => req.socket.destroy());
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "berth-request-"));
  socketPath = join(dir, "engine.sock");
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => answer(req, res));
  });
  server.listen(socketPath);
  await once(server, "listening");
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function engineWith(behaviours: Behaviour[], callTimeoutMs = 2_000): DockerEngine {
  script = [...behaviours];
  seen = [];
  return new DockerEngine({ name: "test", baseUrl: `unix://${socketPath}`, callTimeoutMs });
}

describe("a read", () => {
  it("cut off once, is asked again and answered", async () => {
    const engine = engineWith(["truncate"]);
    await expect(engine.inspectContainer("x")).resolves.toMatchObject({ Id: "abc123" });
    expect(seen).toHaveLength(2);
  });

  it("cut off every time, fails after READ_ATTEMPTS with a typed error naming engine, address and call", async () => {
    const engine = engineWith(Array<Behaviour>(READ_ATTEMPTS).fill("truncate"));
    const error = await engine.inspectContainer("x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineTruncatedReplyError);
    expect(seen).toHaveLength(READ_ATTEMPTS);
    const message = (error as Error).message;
    expect(message).toContain("test: inspect container x:");
    expect(message).toContain(`unix://${socketPath}`);
    expect(message).toMatch(/cut off after 50 of \d+ bytes \(asked 3 times\)/);
    expect((error as EngineTruncatedReplyError).mayHaveBeenApplied).toBe(false);
  });

  it("answered with JSON that does not parse is a cut-off answer, not a success", async () => {
    const engine = engineWith(Array<Behaviour>(READ_ATTEMPTS).fill("bad-json"));
    await expect(engine.inspectContainer("x")).rejects.toBeInstanceOf(EngineTruncatedReplyError);
  });

  it("never answered, fails with a timeout within its limit", async () => {
    const engine = engineWith(Array<Behaviour>(READ_ATTEMPTS).fill("silent"), 150);
    const started = Date.now();
    await expect(engine.inspectContainer("x")).rejects.toBeInstanceOf(EngineTimeoutError);
    expect(Date.now() - started).toBeLessThan(READ_ATTEMPTS * 150 + 2_000);
  });
});

describe("a write", () => {
  it("whose answer is cut off is sent once and may have been applied", async () => {
    const engine = engineWith(["truncate"]);
    const error = await engine.createContainer("m.web", { Image: "i" }).catch((e: unknown) => e);
    expect(seen).toEqual(["POST /containers/create?name=m.web"]);
    expect(error).toBeInstanceOf(EngineTruncatedReplyError);
    expect((error as EngineTruncatedReplyError).mayHaveBeenApplied).toBe(true);
    expect((error as Error).message).toContain("create container m.web");
    expect((error as Error).message).toContain("it may have been applied");
  });

  it("whose connection is reset is a lost connection, not an engine that is not there", async () => {
    const engine = engineWith(["reset"]);
    const error = await engine.startContainer("m.web").catch((e: unknown) => e);
    expect(seen).toHaveLength(1);
    expect(error).toBeInstanceOf(EngineConnectionLostError);
    expect((error as Error).message).not.toContain("no engine answers");
    expect((error as Error).message).toContain("closed the connection");
  });

  it("never answered, times out and may have been applied", async () => {
    const engine = engineWith(["silent"], 150);
    const error = await engine.removeContainer("m.web").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineTimeoutError);
    expect((error as EngineTimeoutError).mayHaveBeenApplied).toBe(true);
  });
});

it("no engine at the address is reported as such, at once", async () => {
  const engine = new DockerEngine({ baseUrl: `unix://${join(dir, "missing.sock")}` });
  const error = await engine.ping().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(EngineUnreachableError);
  expect((error as Error).message).toContain("no engine answers");
});

it("an engine of the clients file that does not answer is named by its client and base_url, not DOCKER_HOST", async () => {
  const url = `unix://${join(dir, "missing.sock")}`;
  const engine = new DockerEngine({ name: "e2", baseUrl: url });
  const error = (await engine.ping().catch((e: unknown) => e)) as EngineUnreachableError;
  expect(error).toBeInstanceOf(EngineUnreachableError);
  expect(error.message).toContain(`e2: `);
  expect(error.message).toContain(`e2: ping engine: no engine answers at ${url}`);
  expect(error.hint).toContain("`base_url` in the clients file");
  expect(error.hint).toContain("client `e2`");
  expect(`${error.message} ${error.hint}`).not.toContain("DOCKER_HOST");
});

describe("retry policy", () => {
  it("backs off 100 ms, 200 ms, … with ±50 % jitter", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, r) => {
          const base = 100 * 2 ** (n - 1);
          const ms = backoffMs(n, r);
          return ms >= base * 0.5 && ms <= base * 1.5;
        },
      ),
    );
  });

  it("asks again after a wire failure or a server error, never after a considered answer", () => {
    const failure = (kind: WireFailure["kind"], status?: number) =>
      new WireFailure(kind, "x", status === undefined ? {} : { status });
    expect(["lost", "truncated", "timeout"].map((k) => isRetryable(failure(k as "lost")))).toEqual([
      true,
      true,
      true,
    ]);
    expect(isRetryable(failure("status", 500))).toBe(true);
    expect(isRetryable(failure("status", 404))).toBe(false);
    expect(isRetryable(failure("status", 409))).toBe(false);
    expect(isRetryable(failure("refused"))).toBe(false);
    expect(isRetryable(failure("cancelled"))).toBe(false);
  });
});

describe("the exit guard", () => {
  const run = (finish: boolean) =>
    spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `import { guardUnfinishedRun } from "./src/cli/exit-guard.ts";
         const guard = guardUnfinishedRun(["-f", "m.yaml", "startup"]);
         ${finish ? "guard.finished();" : ""}
         await new Promise(() => {}); // a promise nothing will settle, and nothing left to run`,
      ],
      { cwd: REPO_ROOT, encoding: "utf8", timeout: 30_000 },
    );

  it("turns an end with the command still pending into exit 1, and says so", () => {
    const result = run(false);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("berth stopped before finishing `startup`");
  });

  it("stands down once the command finished", () => {
    // Node's own code for a top-level await that never settles; the guard added nothing.
    const result = run(true);
    expect(result.stderr).not.toContain("stopped before finishing");
  });
});
