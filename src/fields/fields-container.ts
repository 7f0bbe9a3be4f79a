import { byKey, readAt, replace, union, update, valueAt, type ContainerField } from "./fields.js";
import {
  isBerthLabel,
  linkEntry,
  readEndpoints,
  readExposes,
  readHealthcheck,
  readRestartPolicy,
  splitOnce,
} from "./fields-read-back.js";

/**
 * Container keys of the map (schema `$defs/container`). The order is the order the normalizer
 * sets them, which is the order `berth config` prints them in. A key with a `diff` shape is a
 * field of the canonical spec (ContainerSpec) by the same name.
 */
export const CONTAINER_FIELDS = {
  image: {
    class: "recreate",
    merge: replace,
    default: "none",
    normalize: "string",
    diff: "value",
    docker: { copy: "Image" },
    readBack: readAt("Config.Image"),
  },
  build: {
    // A changed build changes the image (its build hash): the image rule recreates the containers.
    class: "ignored",
    merge: replace,
    default: "none",
    normalize: "build",
    docker: {
      none: "builds the config's image (a build-image step) before its containers are made, from a context or a Dockerfile written in the map (`from`)",
    },
    readBack: { none: "the image's berth.build label, compared at plan time" },
  },
  instances: {
    class: "ignored", // adds or removes containers; never changes one
    merge: union,
    default: "empty-list",
    normalize: "instance-names",
    docker: { none: "one container per instance" },
    readBack: { none: "the container's name" },
  },
  abstract: {
    class: "ignored",
    merge: replace,
    default: "none",
    normalize: "draft",
    docker: { none: "an abstract config makes no container" },
    readBack: { none: "not on the container" },
  },
  extends: {
    class: "ignored", // resolved before planning
    merge: replace,
    default: "none",
    normalize: "draft",
    docker: { none: "resolved while loading" },
    readBack: { none: "not on the container" },
  },
  clients: {
    class: "ignored", // placement: adds or removes containers per engine
    merge: union,
    default: "none",
    normalize: "string-list",
    docker: { none: "placement: which engines get the container" },
    readBack: { none: "the engine the container is on" },
  },
  placement: {
    class: "ignored", // placement: moves an instance to another engine (created there, removed here)
    merge: update,
    default: "empty-map",
    normalize: "key-values",
    docker: { none: "placement: the engine of each named instance" },
    readBack: { none: "the engine the container is on" },
  },
  shares: {
    class: "recreate",
    merge: union,
    default: "empty-list",
    normalize: "string-list",
    diff: "set",
    docker: { built: ["Volumes"] },
    readBack: readAt("Config.Volumes", (value) => Object.keys(value as object).sort()),
  },
  binds: {
    class: "recreate",
    merge: byKey("path"),
    default: "empty-list",
    normalize: "binds",
    diff: "set",
    docker: { built: ["HostConfig.Binds"] },
    // Host binds are the Binds entries with an absolute source; volumes are named.
    readBack: readAt("HostConfig.Binds", (value) =>
      (value as string[]).filter((bind) => bind.startsWith("/")).sort(),
    ),
  },
  attaches: {
    class: "recreate",
    merge: byKey("name"),
    default: "empty-list",
    normalize: "attaches",
    diff: "set",
    docker: { built: ["HostConfig.Binds"] },
    readBack: { none: "Binds does not tell an attached volume from a used one; its owner does" },
  },
  uses: {
    class: "recreate",
    merge: byKey("name"),
    default: "empty-list",
    normalize: "uses",
    diff: "set",
    docker: { built: ["HostConfig.Binds", "HostConfig.VolumesFrom"] },
    readBack: { none: "Binds does not tell a used volume from an attached one; its owner does" },
  },
  links: {
    class: "recreate",
    merge: union,
    default: "empty-list",
    normalize: "links",
    diff: "set",
    docker: { built: ["HostConfig.Links"] },
    readBack: readAt("HostConfig.Links", (value) => (value as string[]).map(linkEntry).sort()),
  },
  exposes: {
    class: "recreate",
    merge: byKey("exposed_port"),
    default: "empty-list",
    normalize: "exposes",
    diff: "set",
    docker: { built: ["ExposedPorts", "HostConfig.PortBindings"] },
    readBack: { read: readExposes },
  },
  user: {
    class: "recreate",
    merge: replace,
    default: "none",
    normalize: "user",
    diff: "value",
    docker: { copy: "User" },
    readBack: readAt("Config.User"),
  },
  permissions: {
    class: "recreate", // applied to attached volumes when the container is created
    merge: replace,
    default: "none",
    normalize: "string",
    diff: "value",
    docker: { none: "applied to the attached volumes by the volume preparation step" },
    readBack: { none: "a property of the volume's files" },
  },
  stop_timeout: {
    class: "ignored", // berth passes it at every stop
    merge: replace,
    default: "none",
    normalize: "seconds",
    diff: "value",
    docker: { copy: "StopTimeout" },
    readBack: readAt("Config.StopTimeout"),
  },
  stop_signal: {
    class: "ignored", // berth sends it at every stop
    merge: replace,
    default: "none",
    normalize: "text",
    diff: "value",
    docker: { copy: "StopSignal" },
    readBack: readAt("Config.StopSignal"),
  },
  start_delay: {
    class: "ignored",
    merge: replace,
    default: "none",
    normalize: "duration",
    docker: { none: "waited for before the start" },
    readBack: { none: "not on the container" },
  },
  network_mode: {
    class: "recreate",
    merge: replace,
    default: "none",
    normalize: "string",
    diff: "value",
    docker: { built: ["HostConfig.NetworkMode", "NetworkDisabled"] },
    readBack: {
      read: (details) =>
        valueAt(details, "Config.NetworkDisabled") === true
          ? "disabled"
          : (valueAt(details, "HostConfig.NetworkMode") ?? null),
    },
  },
  networks: {
    class: "reconnect",
    merge: byKey("network"),
    default: "empty-list",
    normalize: "networks",
    diff: "keyed",
    docker: { built: ["NetworkingConfig.EndpointsConfig"] },
    readBack: { read: readEndpoints },
  },
  exec_commands: {
    class: "ignored", // run after the next start
    merge: union,
    default: "empty-list",
    normalize: "exec-commands",
    docker: { none: "run by exec steps after the start" },
    readBack: { none: "not on the container" },
  },
  healthcheck: {
    class: "recreate",
    merge: replace,
    default: "none",
    normalize: "healthcheck",
    diff: "value",
    docker: { built: ["Healthcheck"] },
    readBack: readAt("Config.Healthcheck", readHealthcheck),
  },
  persistent: {
    class: "ignored",
    merge: replace,
    default: "false",
    normalize: "boolean",
    docker: { none: "planning: whether an exited container is started again" },
    readBack: { none: "not on the container" },
  },
  environment: {
    class: "recreate",
    merge: update,
    default: "empty-map",
    normalize: "environment",
    diff: "keyed",
    docker: { built: ["Env"] },
    readBack: readAt("Config.Env", (value) =>
      Object.fromEntries((value as string[]).map((entry) => splitOnce(entry, "="))),
    ),
  },
  command: {
    class: "recreate",
    merge: replace,
    default: "none",
    normalize: "command",
    diff: "value",
    docker: { copy: "Cmd" },
    readBack: readAt("Config.Cmd"),
  },
  entrypoint: {
    class: "recreate",
    merge: replace,
    default: "none",
    normalize: "command",
    diff: "value",
    docker: { copy: "Entrypoint" },
    readBack: readAt("Config.Entrypoint"),
  },
  labels: {
    class: "recreate",
    merge: update,
    default: "empty-map",
    normalize: "key-values",
    diff: "keyed",
    docker: { built: ["Labels"] },
    // berth's own labels (map, spec, hash) are added at create and are not the map's.
    readBack: readAt("Config.Labels", (value) =>
      Object.fromEntries(Object.entries(value as object).filter(([key]) => !isBerthLabel(key))),
    ),
  },
  working_dir: {
    class: "recreate",
    merge: replace,
    default: "none",
    normalize: "string",
    diff: "value",
    docker: { copy: "WorkingDir" },
    readBack: readAt("Config.WorkingDir"),
  },
  hostname: {
    class: "recreate",
    merge: replace,
    default: "none",
    normalize: "string",
    diff: "value",
    docker: { built: ["Hostname"] },
    readBack: readAt("Config.Hostname"),
  },
  domainname: {
    class: "recreate",
    merge: replace,
    default: "none",
    normalize: "string",
    diff: "value",
    docker: { copy: "Domainname" },
    readBack: readAt("Config.Domainname"),
  },
  restart: {
    class: "in-place",
    update: "RestartPolicy",
    merge: replace,
    default: "none",
    normalize: "restart-policy",
    diff: "value",
    docker: { built: ["HostConfig.RestartPolicy"] },
    readBack: readAt("HostConfig.RestartPolicy", readRestartPolicy),
  },
  depends_on: {
    class: "ignored", // ordering and health gating only
    merge: byKey("container"),
    default: "empty-list",
    normalize: "depends-on",
    docker: { none: "ordering and health gating" },
    readBack: { none: "not on the container" },
  },
  host_config: {
    class: "recreate", // refined per key by HOST_CONFIG_FIELDS
    merge: update,
    default: "empty-map",
    normalize: "host-config",
    diff: "keyed",
    docker: { perKey: "host_config" },
    readBack: { none: "read back per key (HOST_CONFIG_FIELDS)" },
  },
  create_options: {
    class: "recreate", // refined per key by CREATE_OPTION_FIELDS
    merge: update,
    default: "empty-map",
    normalize: "create-options",
    diff: "keyed",
    docker: { perKey: "create_options" },
    readBack: { none: "read back per key (CREATE_OPTION_FIELDS)" },
  },
  swarm: {
    class: "ignored", // no container has it: a swarm client's service spec does (src/swarm)
    merge: update,
    default: "none",
    normalize: "swarm",
    docker: {
      none: "the Swarm service of a config on a swarm client (replicas, update_config, placement, endpoint mode, secrets)",
    },
    readBack: { none: "recorded on the service (berth.spec), not on a container" },
  },
} as const satisfies Record<string, ContainerField>;

export type ContainerKey = keyof typeof CONTAINER_FIELDS;

/** The container keys in registry order, typed. */
export const CONTAINER_KEYS = Object.keys(CONTAINER_FIELDS) as ContainerKey[];

/** The registry entry of a container key (or undefined for a name that is none). */
export function containerField(key: string): ContainerField | undefined {
  return Object.hasOwn(CONTAINER_FIELDS, key)
    ? (CONTAINER_FIELDS as Record<string, ContainerField>)[key]
    : undefined;
}
