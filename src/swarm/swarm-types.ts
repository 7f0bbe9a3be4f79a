/**
 * The Swarm side of a map, as data: what berth sends to a swarm manager (Docker Engine API
 * ServiceSpec and NetworkCreate bodies, in the API's own field names) and what it knows about each
 * service besides (dependencies, volumes, secrets). Pure: built from the resolved map and the
 * clients file, never from an engine.
 */

import type { DependencyCondition } from "../map/model.js";

/** `ContainerSpec` of a task template (Docker Engine API 1.41). */
export interface SwarmContainerSpec {
  Image: string;
  Labels?: Record<string, string>;
  /** The entrypoint (the API calls it Command). */
  Command?: string[];
  /** The command (the API calls it Args). */
  Args?: string[];
  Hostname?: string;
  /** `NAME=value`, sorted by name. */
  Env?: string[];
  Dir?: string;
  User?: string;
  Groups?: string[];
  Init?: boolean;
  TTY?: boolean;
  OpenStdin?: boolean;
  ReadOnly?: boolean;
  StopSignal?: string;
  /** Nanoseconds. */
  StopGracePeriod?: number;
  Healthcheck?: {
    Test: string[];
    Interval?: number;
    Timeout?: number;
    Retries?: number;
    StartPeriod?: number;
  };
  Mounts?: SwarmMount[];
  Hosts?: string[];
  DNSConfig?: { Nameservers?: string[]; Search?: string[]; Options?: string[] };
  Secrets?: SwarmSecretReference[];
  Sysctls?: Record<string, string>;
  CapabilityAdd?: string[];
  CapabilityDrop?: string[];
  Ulimits?: { Name: string; Soft: number; Hard: number }[];
}

export interface SwarmMount {
  Type: "volume" | "bind" | "tmpfs";
  /** Volume name or host path; absent for an anonymous volume. */
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
  VolumeOptions?: {
    Labels?: Record<string, string>;
    DriverConfig?: { Name: string; Options?: Record<string, string> };
  };
}

export interface SwarmSecretReference {
  SecretName: string;
  /** Filled in by the caller once the secret exists (its id); berth's spec names it by name. */
  SecretID?: string;
  File: { Name: string; UID: string; GID: string; Mode: number };
}

export interface SwarmUpdateConfig {
  Parallelism: number;
  /** Nanoseconds. */
  Delay: number;
  FailureAction: "pause" | "continue" | "rollback";
  /** Nanoseconds. */
  Monitor: number;
  Order: "stop-first" | "start-first";
  MaxFailureRatio?: number;
}

export interface SwarmPort {
  Protocol: "tcp" | "udp" | "sctp";
  TargetPort: number;
  PublishedPort?: number;
  PublishMode: "ingress" | "host";
}

export type SwarmMode =
  | { Replicated: { Replicas: number } }
  | { ReplicatedJob: { MaxConcurrent: number; TotalCompletions: number } };

/** The body of POST /services/create and /services/{id}/update (API 1.41). */
export interface SwarmServiceSpec {
  Name: string;
  Labels: Record<string, string>;
  TaskTemplate: {
    ContainerSpec: SwarmContainerSpec;
    Resources?: {
      Limits?: { NanoCPUs?: number; MemoryBytes?: number; Pids?: number };
      Reservations?: { NanoCPUs?: number; MemoryBytes?: number };
    };
    RestartPolicy?: {
      Condition: "none" | "on-failure" | "any";
      /** Nanoseconds. */
      Delay?: number;
      MaxAttempts?: number;
    };
    Placement?: {
      Constraints?: string[];
      Preferences?: { Spread: { SpreadDescriptor: string } }[];
      MaxReplicas?: number;
    };
    Networks?: { Target: string; Aliases?: string[] }[];
    LogDriver?: { Name: string; Options?: Record<string, string> };
  };
  Mode: SwarmMode;
  UpdateConfig?: SwarmUpdateConfig;
  RollbackConfig?: SwarmUpdateConfig;
  EndpointSpec?: { Mode: "vip" | "dnsrr"; Ports?: SwarmPort[] };
}

/** One service (or job) berth wants on a swarm. */
export interface DesiredService {
  /** Docker service name: a DNS label (`<map>-<config>[-<instance>]`, sanitised). */
  name: string;
  /** The swarm manager's client. */
  client: string;
  /** The map config it comes from. */
  configKey: string;
  /** Instance names folded into it ([] for a config without instances). */
  instances: string[];
  /** The map's instance keys it stands for (`config` or `config.instance`): how targets name it. */
  instanceKeys: string[];
  /** A replicated service, or a replicated job (one-shot configs and `completed` dependencies). */
  kind: "service" | "job";
  /** The body to send; `Labels` holds berth's labels with the spec hash and record (secrets hashed). */
  spec: SwarmServiceSpec;
  /** Also `spec.Labels["berth.spec-hash"]`: equal hashes (same salt) mean nothing to change. */
  specHash: string;
  /** Services (Docker names) to wait for before this one is created or updated. */
  dependsOn: { service: string; condition: DependencyCondition }[];
  /** Overlay networks it joins (Docker names), the map's default one included. */
  networks: string[];
  /** Named volumes it mounts; `node` is the node client it is pinned to, when it is. */
  volumes: { name: string; node?: string }[];
  /** Its tasks report health (a health check of its own; an image's is not known here). */
  healthcheck: boolean;
  /**
   * Swarm secrets to create before the service (`swarm.secrets: true`): one per sensitive
   * environment variable, given to the task as the file /run/secrets/NAME and NAME_FILE in its
   * environment. A secret is immutable: a new value is a new name (a salted hash in it).
   * `value` is the secret itself: never print or log it.
   */
  secrets: DesiredSecret[];
  /** Jobs that set the owner and permissions of its pinned volumes, run on their node first. */
  preparations: VolumePreparation[];
  /** Environment names whose values are secret (the map's `sensitive` list), for serviceChanges. */
  sensitive: string[];
  /** What the plan should say about it besides its fields (pinned volumes, endpoint mode, …). */
  notes: string[];
}

export interface DesiredSecret {
  /** Docker secret name (also in the service's ContainerSpec.Secrets). */
  name: string;
  /** The environment variable it stands for. */
  env: string;
  value: string;
  /** berth's labels for it (map, config, kind `secret`, client). */
  labels: Record<string, string>;
}

/** A one-shot job that prepares a named volume on the node its service is pinned to. */
export interface VolumePreparation {
  /** Docker volume name. */
  volume: string;
  /** The node client it runs on. */
  node: string;
  user: string | null;
  permissions: string | null;
  /** The job to create (a replicated job of one task, constrained to the node); removed after. */
  spec: SwarmServiceSpec;
}

/** An overlay network on a swarm manager. */
export interface DesiredSwarmNetwork {
  /** Docker network name. */
  name: string;
  /** The map's network key (`default` for the map's default network). */
  key: string;
  client: string;
  /** Body of POST /networks/create, labels included (the spec hash among them). */
  spec: SwarmNetworkSpec;
  specHash: string;
}

export interface SwarmNetworkSpec {
  Name: string;
  Driver: "overlay";
  Attachable: boolean;
  Internal: boolean;
  EnableIPv6: boolean;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  IPAM?: object;
  CheckDuplicate: boolean;
}

/** One field of a service that differs from what berth recorded on it, with why, for the plan. */
export interface ServiceChange {
  /** `image`, `env.FOO`, `replicas`, `networks`, … (see service-record.ts). */
  field: string;
  reason: string;
}
