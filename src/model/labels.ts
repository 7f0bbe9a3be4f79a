/**
 * The labels berth puts on everything it creates. Ownership is decided by these labels, never by
 * names: an object is berth's when it carries `berth.map`.
 */
export const LABEL = {
  /** Map name; present on every object berth creates. */
  map: "berth.map",
  /** Config name of a container. */
  config: "berth.config",
  /** Instance name of a container (empty for a config without instances). */
  instance: "berth.instance",
  /** Object kind: container, volume, network, lock, helper, state. */
  kind: "berth.kind",
  /** Volume alias of an attached volume; network name of a network (as written in the map). */
  alias: "berth.alias",
  /** Digest of the canonical desired spec the object was created from. */
  specHash: "berth.spec-hash",
  /** The applied spec itself, sensitive values salted-hashed, for the per-field diff. */
  spec: "berth.spec",
  /** Set on a container created under a temporary name by a recreate; holds the final name. */
  replaces: "berth.replaces",
  /** Lock holder and expiry (lock objects only). */
  lockHolder: "berth.lock.holder",
  lockExpires: "berth.lock.expires",
  /** What berth changed on the map's containers after it made them (the state container only). */
  state: "berth.state",
  /** berth's version that created the object. */
  version: "berth.version",
} as const;

export type ObjectKind = "container" | "volume" | "network" | "image";
