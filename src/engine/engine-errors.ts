import { BerthError } from "../common/berth-error.js";

/** What an engine failure is about: which engine, which object, which operation. */
export interface EngineErrorContext {
  /** The client (engine) name from the map's clients, `default` for DOCKER_HOST. */
  engine: string;
  /** e.g. `container main.web`, `volume main.data`, `image nginx:1.25`. */
  object: string;
  /** The engine operation, e.g. `create container`, `start container`. */
  operation: string;
}

/** `create container` + `container main.web` reads `create container main.web`. */
function describeOperation({ operation, object }: EngineErrorContext): string {
  if (object === "") return operation;
  const kind = operation.split(" ").at(-1) ?? "";
  return object.startsWith(`${kind} `)
    ? `${operation}${object.slice(kind.length)}`
    : `${operation} ${object}`;
}

export abstract class EngineError extends BerthError {
  readonly engine: string;
  readonly object: string;
  readonly operation: string;
  /** The engine's own message, when it gave one. */
  readonly engineMessage: string;

  constructor(
    context: EngineErrorContext,
    engineMessage: string,
    options?: { hint?: string; cause?: unknown },
  ) {
    super(`${context.engine}: ${describeOperation(context)}: ${engineMessage}`, options);
    this.engine = context.engine;
    this.object = context.object;
    this.operation = context.operation;
    this.engineMessage = engineMessage;
  }
}

/** No engine answers at the configured address. */
export class EngineUnreachableError extends EngineError {
  readonly code = "engine-unreachable";
}
/** The engine answered 404. */
export class EngineNotFoundError extends EngineError {
  readonly code = "engine-not-found";
}
/** The engine answered 409 (name in use, object in use). */
export class EngineConflictError extends EngineError {
  readonly code = "engine-conflict";
}
/** Any other answer the operation does not expect. */
export class EngineApiError extends EngineError {
  readonly code = "engine-api";
  readonly status: number;
  constructor(
    context: EngineErrorContext,
    status: number,
    engineMessage: string,
    options?: { hint?: string; cause?: unknown },
  ) {
    super(context, `${engineMessage} (HTTP ${status})`, options);
    this.status = status;
  }
}
/** The operation did not finish in its time limit. */
export class EngineTimeoutError extends EngineError {
  readonly code = "engine-timeout";
}
/** An image pull failed (the progress stream carried an error). */
export class ImagePullError extends EngineError {
  readonly code = "image-pull";
}

export const isEngineError = (e: unknown): e is EngineError => e instanceof EngineError;
export const isEngineUnreachableError = (e: unknown): e is EngineUnreachableError =>
  e instanceof EngineUnreachableError;
export const isEngineNotFoundError = (e: unknown): e is EngineNotFoundError =>
  e instanceof EngineNotFoundError;
export const isEngineConflictError = (e: unknown): e is EngineConflictError =>
  e instanceof EngineConflictError;
export const isEngineApiError = (e: unknown): e is EngineApiError => e instanceof EngineApiError;
export const isEngineTimeoutError = (e: unknown): e is EngineTimeoutError => e instanceof EngineTimeoutError;
export const isImagePullError = (e: unknown): e is ImagePullError => e instanceof ImagePullError;
