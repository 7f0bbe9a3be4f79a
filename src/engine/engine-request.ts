import type { IncomingMessage } from "node:http";
import {
  EngineApiError,
  EngineConflictError,
  EngineConnectionLostError,
  type EngineError,
  type EngineErrorContext,
  EngineNotFoundError,
  EngineTimeoutError,
  EngineTruncatedReplyError,
  EngineUnreachableError,
} from "./engine-errors.js";

/**
 * One request to the engine, settled exactly once, within its time limit: with the answer, or a
 * WireFailure that says what went wrong on the wire. docker-modem alone does not give that: when
 * the engine's answer is cut off mid-body its callback is never called, and the abort timer it is
 * given does not keep the process alive, so Node ran out of work and berth exited 0 half-way
 * through a run. Here berth reads every answer body itself (the modem is asked for the raw
 * response), checks that it is complete, and keeps its own timer, which holds the process open
 * while a call is pending.
 */

/** The part of dockerode's modem a request needs. */
export interface Dialer {
  dial(options: Record<string, unknown>, callback: (err: DialError | null, data: unknown) => void): void;
}

export interface DialError extends Error {
  statusCode?: number;
  json?: { message?: string } | null;
  code?: string;
}

/**
 * - `refused`: no connection could be made (nothing was sent);
 * - `lost`: the connection closed before the answer (the request may have been carried out);
 * - `truncated`: the answer ended before its end, or is not the JSON it says it is;
 * - `timeout`: no complete answer within the time limit; `cancelled`: the caller's signal;
 * - `status`: the engine answered with a status the call does not expect.
 */
export type WireFailureKind = "refused" | "lost" | "truncated" | "timeout" | "cancelled" | "status" | "other";

export class WireFailure extends Error {
  constructor(
    readonly kind: WireFailureKind,
    message: string,
    readonly detail: { status?: number; code?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "WireFailure";
  }
}

export interface WireRequest {
  /** The modem's request options (path, method, statusCodes, options, …). */
  options: Record<string, unknown>;
  /** Resolve with the response stream (logs, pulls, events, exec) instead of its parsed body. */
  stream: boolean;
  /** Time limit until the whole answer is in (for a stream: until it starts); 0 for none. */
  timeoutMs: number;
  /** The caller's signal: aborting it cancels the call (and a stream). */
  signal?: AbortSignal;
}

export function sendOnce(dialer: Dialer, request: WireRequest): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const controller = new AbortController();
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const onCancel = () => fail(new WireFailure("cancelled", "cancelled"));
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      request.signal?.removeEventListener("abort", onCancel);
      settle();
    };
    const fail = (failure: WireFailure) =>
      finish(() => {
        controller.abort(failure);
        reject(failure);
      });
    if (request.signal?.aborted) return onCancel();
    request.signal?.addEventListener("abort", onCancel, { once: true });
    if (request.timeoutMs > 0) {
      // A plain (ref'd) timer: a pending call keeps the process alive until it settles.
      timer = setTimeout(
        () => fail(new WireFailure("timeout", `no answer within ${seconds(request.timeoutMs)}`)),
        request.timeoutMs,
      );
    }
    const signals = [controller.signal, ...(request.signal ? [request.signal] : [])];
    const options = { ...request.options, isStream: true, abortSignal: AbortSignal.any(signals) };
    dialer.dial(options, (err, data) => {
      if (settled) return destroyLate(data);
      if (err) return fail(failureOf(err));
      if (request.stream) return finish(() => resolve(data));
      readReply(data as IncomingMessage).then(
        (body) => finish(() => resolve(body)),
        (failure: WireFailure) => fail(failure),
      );
    });
  });
}

/** An answer that came after the call was given up: nobody reads it. */
function destroyLate(data: unknown): void {
  if (typeof data === "object" && data !== null && "destroy" in data) {
    (data as { destroy(): void }).destroy();
  }
}

/** The whole body, parsed; a WireFailure when the connection closes before its end. */
function readReply(res: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const cutOff = () => reject(truncated(res, bytes));
    res.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      bytes += chunk.length;
    });
    res.on("error", cutOff);
    res.on("close", () => {
      if (!res.complete) cutOff();
    });
    res.on("end", () => {
      try {
        resolve(parseBody(res, Buffer.concat(chunks)));
      } catch {
        reject(new WireFailure("truncated", `its answer is not valid JSON (${bytes} bytes)`));
      }
    });
  });
}

function truncated(res: IncomingMessage, bytes: number): WireFailure {
  const length = res.headers["content-length"];
  const of = length === undefined ? "" : ` of ${length}`;
  return new WireFailure("truncated", `its answer was cut off after ${bytes}${of} bytes`);
}

/** JSON when the engine says so (or when it parses), else the text; undefined for no body. */
function parseBody(res: IncomingMessage, body: Buffer): unknown {
  if (body.length === 0) return undefined;
  const text = body.toString("utf8");
  const type = res.headers["content-type"] ?? "";
  if (type.includes("json")) return JSON.parse(text) as unknown;
  if (type !== "") return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const REFUSED = new Set(["ECONNREFUSED", "ENOENT", "EACCES", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND"]);
const LOST = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "ERR_STREAM_PREMATURE_CLOSE"]);

function failureOf(err: DialError): WireFailure {
  if (err.statusCode !== undefined) {
    const message = err.json?.message ?? stripModemPrefix(err.message);
    return new WireFailure("status", message, { status: err.statusCode }, { cause: err });
  }
  const code = err.code;
  if (code !== undefined && REFUSED.has(code)) {
    return new WireFailure("refused", `${code}: ${err.message}`, { code }, { cause: err });
  }
  if ((code !== undefined && LOST.has(code)) || /socket hang up|aborted/i.test(err.message)) {
    return new WireFailure("lost", err.message, code === undefined ? {} : { code }, { cause: err });
  }
  if (err.name === "AbortError") return new WireFailure("cancelled", "cancelled", {}, { cause: err });
  return new WireFailure("other", err.message, code === undefined ? {} : { code }, { cause: err });
}

export function stripModemPrefix(message: string): string {
  return message.replace(/^\(HTTP code \d+\) [^-]*- /, "").trim();
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

// ---- retries of reads ------------------------------------------------------------------------------

/** How many times a read is asked in all before its failure is reported. */
export const READ_ATTEMPTS = 3;

/**
 * Whether a read that failed this way is worth asking again: the connection dropped, the answer
 * was cut off or late, or the engine answered with a server error. Not when no engine is there
 * (that is reported at once), not for the engine's considered answers (404, 409, 400, …).
 */
export function isRetryable(failure: WireFailure): boolean {
  if (failure.kind === "status") return (failure.detail.status ?? 0) >= 500;
  return failure.kind === "lost" || failure.kind === "truncated" || failure.kind === "timeout";
}

/** The pause before attempt `attempt + 1`: 100 ms, 200 ms, … each with ±50 % jitter (`random` in [0, 1)). */
export function backoffMs(attempt: number, random: number): number {
  const base = 100 * 2 ** (attempt - 1);
  return Math.round(base * (0.5 + random));
}

/** A pause that keeps the process alive, cut short by the caller's signal. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

// ---- naming failures --------------------------------------------------------------------------------

/**
 * A failure on the wire as the typed error that names the engine (client name and `address`), the
 * object and the call. `mutating`: the call changes something (it was sent once); `attempts`: how
 * many times it was sent.
 */
export function engineErrorFor(
  context: EngineErrorContext,
  address: string,
  failure: WireFailure,
  how: { mutating: boolean; attempts: number; clientsFileKey?: "base_url" | "context" },
): EngineError {
  const tries = how.attempts > 1 ? ` (asked ${how.attempts} times)` : "";
  // Only a call that was sent and changes something can have been carried out unseen.
  const uncertain = { cause: failure, mayHaveBeenApplied: how.mutating };
  const rerun = how.mutating ? { hint: RERUN_HINT } : {};
  switch (failure.kind) {
    case "status": {
      const status = failure.detail.status ?? 0;
      if (status === 404) return new EngineNotFoundError(context, failure.message, { cause: failure });
      if (status === 409) return new EngineConflictError(context, failure.message, { cause: failure });
      return new EngineApiError(context, status, `${failure.message}${tries}`, { cause: failure });
    }
    case "refused":
      return new EngineUnreachableError(context, `no engine answers at ${address} (${failure.message})`, {
        cause: failure,
        // An engine of the clients file is found at its `base_url` or `context`: DOCKER_HOST plays no part.
        hint: how.clientsFileKey
          ? `start the engine of client \`${context.engine}\`, or correct its \`${how.clientsFileKey}\` in the clients file`
          : "start Docker, or choose a running engine: --host, --context, DOCKER_HOST or DOCKER_CONTEXT",
      });
    case "lost":
      return new EngineConnectionLostError(
        context,
        `the engine at ${address} closed the connection before answering${tries}`,
        { ...uncertain, ...rerun },
      );
    case "truncated":
      return new EngineTruncatedReplyError(
        context,
        `the engine at ${address} answered, but ${failure.message}${tries}`,
        { ...uncertain, ...rerun },
      );
    case "timeout":
      return new EngineTimeoutError(context, `the engine at ${address} gave ${failure.message}${tries}`, {
        ...uncertain,
        hint: how.mutating
          ? RERUN_HINT
          : "a busy engine may need more time: set BERTH_ENGINE_TIMEOUT (seconds)",
      });
    case "cancelled":
      return new EngineTimeoutError(context, "cancelled", uncertain);
    case "other":
      return new EngineApiError(context, 0, failure.message, { cause: failure });
  }
}

const RERUN_HINT = "run berth again: it looks at the engine afresh before it decides anything";
