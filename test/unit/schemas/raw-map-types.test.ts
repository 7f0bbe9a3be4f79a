import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  RAW_CONTAINER_KEYS,
  RAW_CREATE_OPTION_KEYS,
  RAW_HOST_CONFIG_KEYS,
  RAW_MAP_KEYS,
  RAW_NETWORK_KEYS,
  RAW_VOLUME_KEYS,
} from "../../../src/map/raw-map.js";

/** The schema is the source of truth; the TypeScript types of a raw map must list the same keys. */
const schema = JSON.parse(
  readFileSync(new URL("../../../schemas/container-map.schema.json", import.meta.url), "utf8"),
) as {
  properties: Record<string, unknown>;
  $defs: Record<
    string,
    {
      properties?: Record<string, unknown>;
      anyOf?: { type?: string; properties?: Record<string, unknown> }[];
    }
  >;
};

const keysOf = (properties: Record<string, unknown> | undefined) => Object.keys(properties ?? {}).sort();
const objectBranch = (def: string) =>
  schema.$defs[def]?.anyOf?.find((branch) => branch.type === "object")?.properties;

describe("TypeScript types of the raw map against schemas/container-map.schema.json", () => {
  it.each([
    ["map-level keys", RAW_MAP_KEYS, schema.properties],
    ["container keys", RAW_CONTAINER_KEYS, schema.$defs.container?.properties],
    ["create_options keys", RAW_CREATE_OPTION_KEYS, schema.$defs.createOptions?.properties],
    ["host_config keys", RAW_HOST_CONFIG_KEYS, schema.$defs.hostConfig?.properties],
    ["volume keys", RAW_VOLUME_KEYS, objectBranch("volume")],
    ["network keys", RAW_NETWORK_KEYS, objectBranch("network")],
  ])("%s match", (_what, typed, fromSchema) => {
    expect([...typed].sort()).toEqual(keysOf(fromSchema));
  });
});
