import { replace, type ObjectField } from "./fields.js";

/**
 * Keys of a map-level volume (schema `$defs/volume`, object branch) and network (`$defs/network`).
 * A later file replaces a volume or network definition whole, so every key merges by replace.
 * Their create requests are built from these tables (src/desired/object-bodies.ts): a `copy`
 * entry's value goes to its Docker field under the same key of the resolved object.
 */
export const VOLUME_FIELDS = {
  default_path: {
    merge: replace,
    default: "none",
    docker: { none: "the container path of attaches and uses" },
  },
  driver: { merge: replace, default: "none", docker: { copy: "Driver" } },
  driver_options: { merge: replace, default: "empty-map", docker: { copy: "DriverOpts" } },
  create_options: { merge: replace, default: "empty-map", docker: { built: ["Labels"] } },
  user: { merge: replace, default: "none", docker: { none: "owner set by the volume preparation step" } },
  permissions: {
    merge: replace,
    default: "none",
    docker: { none: "mode set by the volume preparation step" },
  },
} as const satisfies Record<string, ObjectField>;

export const NETWORK_FIELDS = {
  driver: { merge: replace, default: "none", docker: { copy: "Driver" } },
  driver_options: { merge: replace, default: "empty-map", docker: { copy: "Options" } },
  internal: { merge: replace, default: "false", docker: { copy: "Internal" } },
  create_options: {
    merge: replace,
    default: "empty-map",
    docker: { built: ["EnableIPv6", "Attachable", "Labels", "IPAM"] },
  },
} as const satisfies Record<string, ObjectField>;

export type VolumeKey = keyof typeof VOLUME_FIELDS;
export type NetworkKey = keyof typeof NETWORK_FIELDS;
