/**
 * What the checker saw on the engine, in Docker's own JSON shape (the fields it reads only), plus
 * what it saw inside containers and on the host. Collected by engine-probe.ts; compared by the
 * pure checks, which unit tests feed by hand.
 */

export interface InspectedContainer {
  Id: string;
  Name: string;
  /** The image id the container runs. */
  Image: string;
  /** The host file that is its /etc/hosts. */
  HostsPath?: string;
  State: {
    Status: string;
    Running: boolean;
    ExitCode: number;
    StartedAt: string;
    Pid: number;
    Health?: { Status: string };
  };
  Config: {
    Env: string[] | null;
    Cmd: string[] | null;
    Entrypoint: string[] | null;
    User: string;
    WorkingDir: string;
    Hostname: string;
    Labels: Record<string, string> | null;
    ExposedPorts?: Record<string, object> | null;
    Healthcheck?: { Test?: string[] };
  };
  HostConfig: {
    NetworkMode: string;
    Links: string[] | null;
    PortBindings: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
    RestartPolicy: { Name: string; MaximumRetryCount: number };
    [limit: string]: unknown;
  };
  Mounts: { Type: string; Name?: string; Source: string; Destination: string; RW: boolean }[];
  NetworkSettings: {
    Ports: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
    Networks: Record<string, { Aliases: string[] | null; IPAddress: string }>;
  };
}

export interface ContainerFacts {
  inspect: InspectedContainer;
  /** `net:[4026532…]`, the network namespace of its process (running containers only). */
  netns?: string;
  /** The text of its /etc/hosts (running containers with links only). */
  hosts?: string;
  /** Files exec commands should have made: path → whether it exists (running containers only). */
  paths: Record<string, boolean>;
}

export interface ImageFacts {
  Id: string;
  Config: { Env: string[] | null; Cmd: string[] | null; Entrypoint: string[] | null };
}

export interface VolumeFacts {
  Name: string;
  Driver: string;
  /** Owner and mode of the volume's folder, from the host. */
  folder?: { uid: number; gid: number; mode: number };
}

export interface NetworkFacts {
  Name: string;
  Driver: string;
  Internal: boolean;
}

/** Everything the checker saw for one map; a missing object is absent from its map. */
export interface EngineWorld {
  containers: Map<string, ContainerFacts>;
  /** Names of every container named `<map>.…`, found by name (not by berth's labels). */
  namedLikeMap: string[];
  images: Map<string, ImageFacts>;
  volumes: Map<string, VolumeFacts>;
  networks: Map<string, NetworkFacts>;
}
