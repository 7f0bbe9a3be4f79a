/**
 * Root of berth's error family. Every error berth raises on purpose is a BerthError with a stable
 * `code`, so callers (and the CLI) can tell them apart without matching message text.
 */
export abstract class BerthError extends Error {
  abstract readonly code: string;
  /** What the user can do about it, when there is something to say. */
  readonly hint: string | undefined;

  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options?.hint;
  }
}

export const isBerthError = (e: unknown): e is BerthError => e instanceof BerthError;

/** Bad command-line usage: unknown option, missing argument, unknown target. */
export class UsageError extends BerthError {
  readonly code = "usage";
}
export const isUsageError = (e: unknown): e is UsageError => e instanceof UsageError;

/** A state berth's own logic should never reach; a bug report, not a user error. */
export class InternalError extends BerthError {
  readonly code = "internal";
}
export const isInternalError = (e: unknown): e is InternalError => e instanceof InternalError;
