import type { EdgeKind } from "../map/resolve.js";
import type { EndpointSpec } from "../desired/container-spec.js";
import type { ExecRecord, InPlaceRecord, MapState, VolumeOwnerRecord } from "../desired/map-state.js";

/** What a plan is for; the first three reconcile, the others act on what exists. */
/** The actions a plan can be made for; each is also a CLI command of the same name. */
export const PLAN_ACTIONS = [
  "startup",
  "update",
  "shutdown",
  "start",
  "stop",
  "restart",
  "remove",
  "kill",
] as const;
export type PlanAction = (typeof PLAN_ACTIONS)[number];

export const PLAN_FORMAT = "berth.plan/1";

export interface ObjectRef {
  kind: "container" | "volume" | "network" | "image" | "service";
  /** Docker name (image reference for images). */
  name: string;
  /** Engine (client) name. */
  client: string;
  /** Map key: `config[.instance]`, volume key or network key. */
  key?: string;
}

/** Why a recreate happens because of another object: `web` because `app.1` is recreated (links). */
export interface Cause {
  /** Key of the object whose change this follows. */
  object: string;
  /**
   * `start` / `restart`: a network_mode target started in this plan (its namespace is new);
   * `restarted`: one started again outside berth since the dependent started (by hand, or by its
   * restart policy).
   */
  change: "create" | "recreate" | "replaced" | "start" | "restart" | "restarted";
  edge: EdgeKind;
  because?: Cause;
}

/** One reason for a change: a field that differs (with old and new value), or a cascade. */
export interface Reason {
  message: string;
  field?: string;
  old?: unknown;
  new?: unknown;
  cause?: Cause;
}

export type ChangeKind =
  | "create"
  | "recreate"
  | "start"
  | "stop"
  | "restart"
  | "kill"
  | "remove"
  | "update"
  | "reconnect"
  | "rename"
  | "prepare"
  | "pull"
  | "exec"
  | "build"
  | "outdated"
  | "orphan"
  | "skip";

/** The per-object view of a plan, for people: one entry per object that changes or is reported. */
export interface ObjectChange {
  object: ObjectRef;
  change: ChangeKind;
  reasons: Reason[];
}

interface StepBase {
  /** Unique and stable within the plan, e.g. `create-container:default/main.web`. */
  id: string;
  object: ObjectRef;
  /** Ids of the steps that must finish first. */
  after: string[];
  /**
   * Ids of `after` whose failure does not skip this step: it still runs once they end. A
   * dependent whose reference went stale is made again even when its dependency's exec commands
   * fail (that container runs all the same); skipped, it would keep a dead link or namespace.
   */
  tolerates?: string[];
  /**
   * Ids of `after` of which at least one must end done, or this step is skipped: a dependent
   * stale on several containers is made again only if one of them was in fact made again.
   */
  needsOneOf?: string[];
}

export type Step =
  | (StepBase & { type: "pull-image"; image: string })
  | (StepBase & {
      type: "build-image";
      image: string;
      /** The config whose `build:` makes it (the executor reads the build from the map). */
      config: string;
      /** Extra references to tag the image with. */
      tags: string[];
      /** Base images to pull first (`build.pull`). */
      pullBases: string[];
    })
  | (StepBase & { type: "create-network" })
  | (StepBase & { type: "remove-network"; networkId: string; ifUnused: boolean })
  | (StepBase & { type: "connect-network"; network: string; container: string; endpoint: EndpointSpec })
  | (StepBase & { type: "disconnect-network"; network: string; container: string })
  | (StepBase & { type: "create-volume" })
  | (StepBase & { type: "remove-volume" })
  | (StepBase & {
      type: "prepare-volume";
      volume: string;
      image: string;
      user: string | null;
      permissions: string | null;
    })
  | (StepBase & {
      type: "create-container";
      /** Name to create under: the final name, or a temporary one during a recreate. */
      name: string;
      temporary: boolean;
      /** Anonymous volumes of the replaced container, mounted again at the same paths. */
      carriedVolumes: { name: string; path: string }[];
    })
  | (StepBase & { type: "start-container"; container: string; delayMs: number })
  | (StepBase & {
      type: "stop-container";
      container: string;
      signal: string | null;
      timeoutSeconds: number | null;
    })
  | (StepBase & { type: "kill-container"; container: string; signal: string })
  | (StepBase & { type: "remove-container"; container: string; removeVolumes: boolean; force: boolean })
  | (StepBase & { type: "rename-container"; container: string; to: string })
  | (StepBase & { type: "update-container"; container: string; fields: string[] })
  | (StepBase & {
      type: "exec";
      container: string;
      command: string[];
      text: string;
      user: string | null;
      detach: boolean;
      timeoutMs: number | null;
    })
  | (StepBase & {
      type: "record-state";
      /** The record as it stays whatever this run's steps do. */
      state: MapState;
      /** In-place changes: each written when all its steps are done. */
      inPlace: { id: string; record: InPlaceRecord; steps: string[] }[];
      /** Exec commands this run runs, per container, with what was recorded before. */
      exec: ExecRecordUpdate[];
      /** Owner and mode applied to volumes: each written when its preparation step is done. */
      volumes: { name: string; record: VolumeOwnerRecord; step: string }[];
    })
  | (StepBase & { type: "wait-healthy"; container: string })
  | (StepBase & { type: "wait-completed"; container: string })
  /** An overlay network on a swarm manager (the executor sends the map's spec of it). */
  | (StepBase & { type: "create-swarm-network" })
  | (StepBase & { type: "create-service"; service: string; kind: "service" | "job" })
  | (StepBase & {
      type: "update-service";
      service: string;
      serviceId: string;
      /** The version the plan saw: a service changed since is refused by the engine, never overwritten. */
      version: number;
      /** The fields that differ (their reasons are in the plan's changes). */
      fields: string[];
    })
  | (StepBase & { type: "remove-service"; service: string; serviceId: string })
  /**
   * A replicated service's replica count set on its current spec, nothing else changed (`stop` and
   * `kill`: 0, its spec and volumes kept; `start`, `update`: the map's count). To 0, done once no
   * task of it runs.
   */
  | (StepBase & {
      type: "scale-service";
      service: string;
      serviceId: string;
      /** The version the plan saw: a service changed since is refused by the engine, never overwritten. */
      version: number;
      replicas: number;
    })
  /**
   * A rolling restart of every task (`restart`): the current spec with TaskTemplate.ForceUpdate
   * one higher, as `docker service update --force`; a job runs again.
   */
  | (StepBase & { type: "restart-service"; service: string; serviceId: string; version: number })
  | (StepBase & {
      type: "wait-service";
      service: string;
      /** `running` (every replica), `healthy` (running and its health check passed), `completed` (a job). */
      condition: ServiceCondition;
      replicas: number;
    });

export type ServiceCondition = "running" | "healthy" | "completed";

/**
 * One container's exec record after the run: `kept` (what was recorded before, for the map's
 * commands) overwritten by the result of each `ran` step that ended (done or failed).
 */
export interface ExecRecordUpdate {
  /** The container's name once the run is done. */
  container: string;
  /** Its id when the plan is made; null when this run makes it (the id is known once it exists). */
  id: string | null;
  /** The step that makes it under its final name: the update is dropped unless it is done. */
  made: string | null;
  kept: ExecRecord;
  ran: { digest: string; step: string }[];
}

export type StepType = Step["type"];
export type StepOf<T extends StepType> = Extract<Step, { type: T }>;

/** What an object looked like when the plan was made; a saved plan is refused if it changed. */
export interface Fingerprint {
  object: ObjectRef;
  /** Container or network id, image id; null when the object did not exist. */
  id: string | null;
  state?: string;
  specHash?: string | null;
}

export interface PlanOptions {
  action: PlanAction;
  targets: string[];
  /** Remove containers (and networks) with the map's label that the map no longer has. */
  removeOrphans: boolean;
  /** shutdown/remove: also remove attached and anonymous volumes. */
  removeVolumes: boolean;
  /** Remove and create again volumes whose driver or options changed (their data is lost). */
  recreateVolumes: boolean;
  pull: "missing" | "always" | "never";
  /**
   * Images the map builds: `auto` builds a missing one (and, for update, one whose inputs
   * changed); `always` (--build) rebuilds on update even when nothing changed; `never`
   * (--no-build) refuses a plan that must build.
   */
  build: "auto" | "always" | "never";
  /** Exit codes after which a stopped container is recreated rather than started. */
  nonrecoverableExitCodes: number[];
  /** kill: the signal. */
  killSignal: string;
  /**
   * `labels` (default): compare with what berth recorded (labels, state record), four list calls.
   * `full`: also inspect every container of the map and compare what the engine runs with the map,
   * every field of the registry (src/plan/config-drift.ts): one more call per container.
   */
  refresh: "labels" | "full";
}

export interface PlanSummary {
  create: number;
  recreate: number;
  start: number;
  stop: number;
  remove: number;
  update: number;
  other: number;
}

export interface Plan {
  format: typeof PLAN_FORMAT;
  map: string;
  /** Digest of the normalized map the plan was made from. */
  mapDigest: string;
  /** Map files (as given) and the map name, so a saved plan can be applied later. */
  files: string[];
  options: PlanOptions;
  changes: ObjectChange[];
  steps: Step[];
  warnings: string[];
  observed: Fingerprint[];
  summary: PlanSummary;
  /**
   * Engines of the map that did not answer, by client name: why. Nothing is planned on them, nor
   * for what waits for their containers; a run with any is not a success.
   */
  unreachable?: Record<string, string>;
  /**
   * Parts of the asked work that this plan cannot do (an engine that did not answer, a swarm node
   * berth cannot reach whose volumes `--volumes` was to remove): each with the client, the object
   * when one is known, and what to do. A plan with any does not do all that was asked: a run of it
   * is not a success (exit 1), whatever its steps do. Absent when empty.
   */
  undone?: Undone[];
}

/** One part of the asked work a plan leaves undone (see Plan.undone). */
export interface Undone {
  /** The engine (client) where it is not done. */
  client: string;
  /** The object left as it is, when one is known. */
  object?: ObjectRef;
  /** What is not done, why, and what to do. */
  message: string;
}

export const emptySummary = (): PlanSummary => ({
  create: 0,
  recreate: 0,
  start: 0,
  stop: 0,
  remove: 0,
  update: 0,
  other: 0,
});

/** True when the plan would change something on an engine. */
export const planHasChanges = (plan: Plan): boolean => plan.steps.length > 0;

/** True when the plan leaves part of the asked work undone (Plan.undone): its run is not a success. */
export const planLeavesUndone = (plan: Pick<Plan, "undone">): boolean => (plan.undone ?? []).length > 0;
