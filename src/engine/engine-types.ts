/**
 * The parts of Docker Engine API objects (v1.41) that berth reads or sends. Field names are the
 * engine's own, so a reader can look them up in the API reference.
 */

export type Labels = Record<string, string>;

export interface EndpointSettings {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] } | null;
  Links?: string[] | null;
  Aliases?: string[] | null;
  NetworkID?: string;
  EndpointID?: string;
  IPAddress?: string;
}

export interface MountPoint {
  /** `bind`, `volume`, `tmpfs`, `npipe`. */
  Type: string;
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode?: string;
  RW: boolean;
}

/** One row of GET /containers/json?all=1. */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Created: number;
  Labels: Labels | null;
  State: string;
  Status: string;
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: { Networks?: Record<string, EndpointSettings> | null } | null;
  Mounts?: MountPoint[] | null;
  /** Published ports of a running container (one entry per host binding). */
  Ports?: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] | null;
}

export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** GET /containers/{id}/json, the parts berth reads. */
export interface ContainerDetails {
  Id: string;
  Name: string;
  Image: string;
  Created: string;
  RestartCount?: number;
  State: {
    Status: string;
    Running: boolean;
    Paused?: boolean;
    Restarting?: boolean;
    ExitCode: number;
    Error?: string;
    StartedAt: string;
    FinishedAt: string;
    Health?: { Status: string; FailingStreak: number; Log?: HealthLogEntry[] | null } | null;
  };
  Config: {
    Image: string;
    Env?: string[] | null;
    Cmd?: string[] | null;
    Entrypoint?: string[] | null;
    Labels?: Labels | null;
    User?: string;
    Hostname?: string;
    Healthcheck?: unknown;
  };
  HostConfig: Record<string, unknown> & {
    NetworkMode?: string;
    RestartPolicy?: { Name: string; MaximumRetryCount?: number };
    Links?: string[] | null;
  };
  Mounts: MountPoint[];
  NetworkSettings: { Networks?: Record<string, EndpointSettings> | null };
}

/** One row of GET /volumes. */
export interface VolumeSummary {
  Name: string;
  Driver: string;
  Mountpoint: string;
  Labels: Labels | null;
  Options: Record<string, string> | null;
  Scope?: string;
  CreatedAt?: string;
}

/** One row of GET /networks. */
export interface NetworkSummary {
  Id: string;
  Name: string;
  Driver: string;
  Scope?: string;
  Internal: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  Labels: Labels | null;
  Options: Record<string, string> | null;
  Containers?: Record<string, { Name: string; EndpointID: string }> | null;
}

/** One row of GET /images/json. */
export interface ImageSummary {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests?: string[] | null;
  Created: number;
  Size: number;
  Labels?: Labels | null;
}

export interface EngineVersion {
  Version: string;
  ApiVersion: string;
  Os?: string;
  Arch?: string;
  KernelVersion?: string;
}

/** What `GET /info` says that berth reads: the engine's part in a swarm. */
export interface EngineInfo {
  Swarm?: {
    /** `inactive`, `pending`, `active`, `error`, `locked`. */
    LocalNodeState?: string;
    /** True on a swarm manager: it can create overlay networks. */
    ControlAvailable?: boolean;
    /** This engine's node in the swarm. */
    NodeID?: string;
    /** The swarm's managers this node knows (a manager lists itself). */
    RemoteManagers?: { NodeID: string; Addr: string }[] | null;
  };
}

export interface EngineEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> };
  time: number;
  timeNano?: number;
}

/** POST /containers/create body (the parts berth sets). */
export interface ContainerCreateBody {
  Image: string;
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  Labels?: Labels;
  WorkingDir?: string;
  User?: string;
  Hostname?: string;
  Domainname?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Volumes?: Record<string, Record<string, never>>;
  StopSignal?: string;
  StopTimeout?: number;
  Healthcheck?: {
    Test?: string[];
    Interval?: number;
    Timeout?: number;
    Retries?: number;
    StartPeriod?: number;
  };
  HostConfig?: Record<string, unknown>;
  NetworkingConfig?: { EndpointsConfig: Record<string, EndpointConfig> };
  [extra: string]: unknown;
}

export interface EndpointConfig {
  Aliases?: string[];
  Links?: string[];
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] };
}

export interface VolumeCreateBody {
  Name: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels?: Labels;
}

export interface NetworkCreateBody {
  Name: string;
  Driver?: string;
  Internal?: boolean;
  Options?: Record<string, string>;
  Labels?: Labels;
  [extra: string]: unknown;
}

/** POST /containers/{id}/update body. */
export interface ContainerUpdateBody {
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  BlkioWeight?: number;
  PidsLimit?: number;
  RestartPolicy?: { Name: string; MaximumRetryCount?: number };
}

export interface ExecResult {
  exitCode: number | null;
  output: string;
}

/** Registry credentials, as the engine's X-Registry-Auth header wants them. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  auth?: string;
  identitytoken?: string;
  serveraddress: string;
}

/** An image build: the context as a tar archive, and what `POST /build` takes. */
export interface BuildRequest {
  context: Buffer;
  /** The reference the image is tagged with. */
  tag: string;
  /** Path of the Dockerfile inside the context. */
  dockerfile: string;
  args: Record<string, string>;
  labels: Record<string, string>;
  target?: string;
  noCache: boolean;
  signal?: AbortSignal;
}

/** What a finished push reports: the digest the registry stored the image under. */
export interface PushResult {
  digest: string | undefined;
}

export interface BuildResult {
  imageId: string;
}
