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

export interface EngineErrorOptions {
  hint?: string;
  cause?: unknown;
  /**
   * A call that changes something failed after its request was sent (connection closed, answer
   * cut off, no answer in time): the engine may have carried it out. Nothing berth believed
   * about the engine holds any more; only a fresh look can tell.
   */
  mayHaveBeenApplied?: boolean;
}

export abstract class EngineError extends BerthError {
  readonly engine: string;
  readonly object: string;
  readonly operation: string;
  /** The engine's own message, when it gave one. */
  readonly engineMessage: string;
  readonly mayHaveBeenApplied: boolean;

  constructor(context: EngineErrorContext, engineMessage: string, options?: EngineErrorOptions) {
    const applied = options?.mayHaveBeenApplied === true ? "; it may have been applied" : "";
    super(`${context.engine}: ${describeOperation(context)}: ${engineMessage}${applied}`, options);
    this.engine = context.engine;
    this.object = context.object;
    this.operation = context.operation;
    this.engineMessage = engineMessage;
    this.mayHaveBeenApplied = options?.mayHaveBeenApplied === true;
  }
}

/** No engine answers at the configured address (the connection could not be made). */
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
    options?: EngineErrorOptions,
  ) {
    super(context, `${engineMessage} (HTTP ${status})`, options);
    this.status = status;
  }
}
/** The operation did not finish in its time limit. */
export class EngineTimeoutError extends EngineError {
  readonly code = "engine-timeout";
}
/** The engine closed a connection it had accepted before its answer was complete. */
export class EngineConnectionLostError extends EngineError {
  readonly code = "engine-connection-lost";
}
/** The engine's answer ended before its end (shorter than announced, or not valid JSON). */
export class EngineTruncatedReplyError extends EngineError {
  readonly code = "engine-truncated-reply";
}
/** An image pull failed (the progress stream carried an error). */
export class ImagePullError extends EngineError {
  readonly code = "image-pull";
}

/** An image push failed (the engine refused it, or the progress stream carried an error). */
export class ImagePushError extends EngineError {
  readonly code = "image-push";
}

/** What a failed build's output said: the step that failed and the last lines before it. */
export interface BuildFailure {
  /** N of the last `Step N/M : …` line (the classic builder numbers the Dockerfile's instructions). */
  step: number | undefined;
  /** That step's line as the builder printed it (`RUN false`). */
  instruction: string | undefined;
  /** The last lines of output. */
  output: string[];
}

/** An image build failed (the builder reported an error, or the stream broke). */
export class ImageBuildError extends EngineError {
  readonly code = "image-build";
  constructor(
    context: EngineErrorContext,
    engineMessage: string,
    readonly failure: BuildFailure,
    options?: EngineErrorOptions,
  ) {
    super(context, engineMessage, options);
  }
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
export const isEngineConnectionLostError = (e: unknown): e is EngineConnectionLostError =>
  e instanceof EngineConnectionLostError;
export const isEngineTruncatedReplyError = (e: unknown): e is EngineTruncatedReplyError =>
  e instanceof EngineTruncatedReplyError;
/** A call that changes something ended without an answer: whether it was applied is unknown. */
export const isUncertainOutcome = (e: unknown): e is EngineError =>
  e instanceof EngineError && e.mayHaveBeenApplied;
export const isImagePullError = (e: unknown): e is ImagePullError => e instanceof ImagePullError;
export const isImagePushError = (e: unknown): e is ImagePushError => e instanceof ImagePushError;
export const isImageBuildError = (e: unknown): e is ImageBuildError => e instanceof ImageBuildError;
