/**
 * berth's programmatic API: load a map, observe engines, plan, apply — or all of it at once with
 * `reconcile`. The CLI is built on exactly these functions.
 */
export { loadMap, type LoadMapOptions, type LoadedMap } from "./load-map.js";
export { cacheDirectory, FileParseCache, type ParseCache } from "./map/parse-cache.js";
export {
  MapError,
  isMapError,
  formatProblem,
  type MapProblem,
  type SourcePosition,
} from "./map/map-error.js";
export type { NormalizedMap, ResolvedMap, ContainerInstance } from "./map/model.js";
export { loadClientsFile, clientContexts, type ClientConfig } from "./map/clients-file.js";
export { printMapJson, printMapYaml } from "./map/print-map.js";

export { DependencyGraph, targetKeys, STALE_MAKING_KINDS } from "./graph/dependency-graph.js";
export type { DependencyEdge, EdgeKind, NodeId } from "./map/resolve.js";

export { DockerEngine, type DockerEngineOptions } from "./engine/docker-engine.js";
export { readOnly, type EngineReader, type EngineWriter } from "./engine/engine.js";
export { CallCounter } from "./engine/call-counter.js";
export {
  EngineError,
  EngineUnreachableError,
  EngineNotFoundError,
  EngineConflictError,
  EngineApiError,
  EngineTimeoutError,
  EngineConnectionLostError,
  EngineTruncatedReplyError,
  ImagePullError,
  isEngineError,
  isEngineUnreachableError,
  isEngineNotFoundError,
  isEngineConflictError,
  isEngineApiError,
  isEngineTimeoutError,
  isEngineConnectionLostError,
  isEngineTruncatedReplyError,
  isUncertainOutcome,
  isImagePullError,
} from "./engine/engine-errors.js";

export { observe, observeEngine } from "./observe/observe.js";
export type { ObservedState, ObservedClient, ObservedContainer } from "./observe/observed-state.js";

export { plan, DEFAULT_PLAN_OPTIONS, type PlanInput } from "./plan/plan.js";
export { PlanError, isPlanError, type NameConflicts } from "./plan/plan-context.js";
export {
  PLAN_FORMAT,
  planHasChanges,
  planLeavesUndone,
  type Plan,
  type Undone,
  type PlanAction,
  type PlanOptions,
  type Step,
  type StepType,
  type StepOf,
  type ObjectChange,
  type ObjectRef,
  type Reason,
  type Cause,
  type Fingerprint,
} from "./plan/plan-types.js";
export { renderPlanText, renderPlanJson } from "./plan/render-plan.js";
export {
  CONTAINER_FIELD_CLASSES,
  HOST_CONFIG_FIELD_CLASSES,
  type FieldClass,
} from "./fields/field-classes.js";

export {
  apply,
  type ApplyOptions,
  type ApplyResult,
  type StepResult,
  type StepStatus,
} from "./apply/executor.js";
export type { ProgressEvent, ProgressListener } from "./apply/progress-events.js";
export {
  StepError,
  WaitError,
  ExecFailedError,
  VolumePreparationError,
  LockError,
  StalePlanError,
  isStepError,
  isWaitError,
  isExecFailedError,
  isVolumePreparationError,
  isLockError,
  isStalePlanError,
} from "./apply/apply-errors.js";
export { checkSavedPlan, parseSavedPlan } from "./apply/saved-plan.js";

export {
  reconcile,
  buildImages,
  dryRun,
  observeAndPlan,
  openEngines,
  type Engines,
  type PlannedRun,
  type PlanRequest,
  type ReconcileOptions,
  type ReconcileResult,
  type RunOptions,
  type SavedPlanRequest,
} from "./reconcile.js";
export { cleanup, type CleanupOptions, type CleanupOutcome } from "./cleanup.js";
export {
  push,
  pushItems,
  type PushEvent,
  type PushItem,
  type PushOptions,
  type PushOutcome,
  type PushResult,
} from "./push.js";
export type { CleanupItem } from "./plan/cleanup-planner.js";
export { BerthError, isBerthError, UsageError, isUsageError } from "./common/berth-error.js";
export {
  resolveDockerEndpoint,
  dockerContextEndpoint,
  type DockerEndpoint,
  type EndpointChoice,
} from "./engine/docker-context.js";
export { DEFAULT_RUN_OPTIONS } from "./apply/run-defaults.js";
