/**
 * The parts of the Engine API's Swarm objects (v1.41) that berth reads or sends: services, their
 * tasks, nodes and secrets. Field names are the engine's own, so a reader can look them up in the
 * API reference.
 */
import type { Labels } from "./engine-types.js";

/** `POST /services/create` and `/services/{id}/update` body (the parts berth sets; more are kept). */
export interface ServiceSpec {
  Name: string;
  Labels?: Labels;
  TaskTemplate: {
    ContainerSpec: Record<string, unknown> & { Image: string; Labels?: Labels };
    RestartPolicy?: { Condition?: string; Delay?: number; MaxAttempts?: number; Window?: number };
    Placement?: {
      Constraints?: string[];
      Preferences?: { Spread: { SpreadDescriptor: string } }[];
      MaxReplicas?: number;
    };
    Resources?: Record<string, unknown>;
    Networks?: { Target: string; Aliases?: string[] }[];
    ForceUpdate?: number;
    [extra: string]: unknown;
  };
  Mode?: {
    Replicated?: { Replicas?: number };
    Global?: Record<string, never>;
    ReplicatedJob?: { MaxConcurrent?: number; TotalCompletions?: number };
    GlobalJob?: Record<string, never>;
  };
  UpdateConfig?: UpdateConfig;
  RollbackConfig?: UpdateConfig;
  Networks?: { Target: string; Aliases?: string[] }[];
  EndpointSpec?: {
    Mode?: "vip" | "dnsrr";
    Ports?: {
      Protocol?: string;
      TargetPort: number;
      PublishedPort?: number;
      PublishMode?: "ingress" | "host";
    }[];
  };
  [extra: string]: unknown;
}

export interface UpdateConfig {
  Parallelism?: number;
  /** Nanoseconds. */
  Delay?: number;
  FailureAction?: "continue" | "pause" | "rollback";
  /** Nanoseconds. */
  Monitor?: number;
  MaxFailureRatio?: number;
  Order?: "stop-first" | "start-first";
}

/** One row of `GET /services?status=true`, or `GET /services/{id}`. */
export interface ServiceSummary {
  ID: string;
  /** The version index an update must name (a stale one is refused: "update out of sequence"). */
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
  Spec: ServiceSpec;
  PreviousSpec?: ServiceSpec;
  /** Where the last rolling update is: `updating`, `paused`, `completed`, `rollback_started`, … */
  UpdateStatus?: { State?: string; StartedAt?: string; CompletedAt?: string; Message?: string };
  /** With `status=true` (API ≥ 1.41). */
  ServiceStatus?: { RunningTasks: number; DesiredTasks: number; CompletedTasks?: number };
  /** Jobs: the iteration the tasks belong to. */
  JobStatus?: { JobIteration?: { Index?: number }; LastExecution?: string };
}

/** One row of `GET /tasks`. */
export interface TaskSummary {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  CreatedAt: string;
  UpdatedAt: string;
  Labels?: Labels | null;
  Spec?: { ContainerSpec?: { Image?: string; Env?: string[] } };
  /** `new` … `running`, `complete`, `shutdown`, `failed`, `rejected`, `orphaned`, `remove`. */
  Status: {
    Timestamp?: string;
    State: string;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
  };
  DesiredState: string;
  /** Jobs: the iteration this task ran for. */
  JobIteration?: { Index?: number };
}

/** One row of `GET /nodes`. */
export interface NodeSummary {
  ID: string;
  Spec: { Labels?: Labels | null; Role?: string; Availability?: string };
  Description?: { Hostname?: string };
  /** `unknown`, `down`, `ready`, `disconnected`. */
  Status: { State: string; Addr?: string; Message?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string } | null;
}

/** One row of `GET /secrets` (its data is never returned). */
export interface SecretSummary {
  ID: string;
  Version: { Index: number };
  Spec: { Name: string; Labels?: Labels | null };
}

/** `POST /secrets/create` body; Data is base64. */
export interface SecretCreateBody {
  Name: string;
  Labels?: Labels;
  Data: string;
}

/** Filters of `GET /tasks`: by service (id or name), node, desired state, label. */
export interface TaskFilter {
  service?: string[];
  node?: string[];
  "desired-state"?: string[];
  label?: string[];
}
