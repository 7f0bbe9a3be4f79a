/**
 * What the engine's one door (DockerEngine.dial) tells a log: each call's method, path, status
 * and duration at debug, retries at debug, the request (query and body) at trace. The engine
 * module knows no logging library: anything with pino's debug/trace/isLevelEnabled fits.
 */
export interface EngineLogger {
  debug(fields: object, message: string): void;
  trace(fields: object, message: string): void;
  isLevelEnabled(level: string): boolean;
}

export interface EngineLog {
  logger: EngineLogger;
  /**
   * A request's query or body as masked text, for the log at trace (the map's sensitive values,
   * see maskSecrets); without it, requests are never logged.
   */
  mask?: (value: unknown) => string;
}

export interface EngineCallRecord {
  engine: string;
  method: string;
  /** Without its query: a query may carry build arguments (secrets); it is logged at trace only. */
  path: string;
  status: number | undefined;
  ms: number;
  attempt: number;
  error?: string;
}

/** One finished call (or attempt) at debug: `POST /containers/create 201 12ms`. */
export function logEngineCall(log: EngineLog | undefined, record: EngineCallRecord): void {
  if (log === undefined || !log.logger.isLevelEnabled("debug")) return;
  const status = record.status === undefined ? "-" : String(record.status);
  log.logger.debug(record, `engine ${record.method} ${record.path} ${status} ${record.ms}ms`);
}

/** A request about to be sent, at trace, masked; nothing when no mask is known. */
export function logEngineRequest(
  log: EngineLog | undefined,
  request: { engine: string; method: string; path: string; query?: unknown; body?: unknown },
): void {
  if (log?.mask === undefined || !log.logger.isLevelEnabled("trace")) return;
  const mask = log.mask;
  const masked = (value: unknown) => (value === undefined ? undefined : mask(value));
  log.logger.trace(
    {
      engine: request.engine,
      method: request.method,
      path: request.path,
      ...(request.query === undefined ? {} : { query: masked(request.query) }),
      ...(request.body === undefined ? {} : { body: masked(request.body) }),
    },
    `engine request ${request.method} ${request.path}`,
  );
}

/** A read sent again after its wire failed, at debug. */
export function logEngineRetry(
  log: EngineLog | undefined,
  retry: { engine: string; method: string; path: string; attempt: number; pauseMs: number; reason: string },
): void {
  if (log === undefined || !log.logger.isLevelEnabled("debug")) return;
  log.logger.debug(retry, `engine retry ${retry.method} ${retry.path} after ${retry.reason}`);
}
