import { BerthError } from "../common/berth-error.js";

/** A step failed for a reason of berth's own (not an engine error): it names engine, object and step. */
export abstract class StepError extends BerthError {
  constructor(
    readonly engine: string,
    readonly object: string,
    readonly step: string,
    message: string,
    options?: { hint?: string; cause?: unknown },
  ) {
    super(`${engine}: ${step} ${object}: ${message}`, options);
  }
}

/** A health or completion wait ran out of time, or the container died while waited for. */
export class WaitError extends StepError {
  readonly code = "wait";
}
/** An exec command exited with a non-zero code or ran out of time. */
export class ExecFailedError extends StepError {
  readonly code = "exec-failed";
}
/** Owner or permissions of a volume did not come out as asked. */
export class VolumePreparationError extends StepError {
  readonly code = "volume-preparation";
}
/** An image build failed: names the config, the Dockerfile line and the builder's message. */
export class ImageBuildFailedError extends StepError {
  readonly code = "image-build-failed";
}
/** Another run holds the map's lock on the engine. */
export class LockError extends BerthError {
  readonly code = "lock";
}
/** A saved plan no longer fits what the engine runs (or the map changed). */
export class StalePlanError extends BerthError {
  readonly code = "stale-plan";
  constructor(
    message: string,
    readonly objects: string[],
    options?: { hint?: string },
  ) {
    super(message, options);
  }
}
/** The apply finished with failed steps. */
export class ApplyFailedError extends BerthError {
  readonly code = "apply-failed";
}

export const isStepError = (e: unknown): e is StepError => e instanceof StepError;
export const isWaitError = (e: unknown): e is WaitError => e instanceof WaitError;
export const isExecFailedError = (e: unknown): e is ExecFailedError => e instanceof ExecFailedError;
export const isVolumePreparationError = (e: unknown): e is VolumePreparationError =>
  e instanceof VolumePreparationError;
export const isLockError = (e: unknown): e is LockError => e instanceof LockError;
export const isStalePlanError = (e: unknown): e is StalePlanError => e instanceof StalePlanError;
export const isApplyFailedError = (e: unknown): e is ApplyFailedError => e instanceof ApplyFailedError;
