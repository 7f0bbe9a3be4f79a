import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mapOf } from "../../helpers/plan-fixtures.js";
import { buildContainerSpec } from "../../../src/desired/container-spec.js";
import { containerNameLookup } from "../../../src/desired/container-spec.js";
import {
  classOf,
  CONTAINER_FIELD_CLASSES,
  CREATE_OPTIONS_FIELD_CLASSES,
  HOST_CONFIG_FIELD_CLASSES,
  UPDATABLE_LIMITS,
} from "../../../src/fields/field-classes.js";
import { defaultClientContext } from "../../../src/plan/plan.js";

/**
 * The field-class registry and the map schema list the same keys: adding a key to the schema
 * without saying what its change means (recreate, in place, reconnect, ignored) fails here.
 */

interface SchemaDefinition {
  properties?: Record<string, unknown>;
  additionalProperties?: unknown;
}

const schema = JSON.parse(
  readFileSync(new URL("../../../schemas/container-map.schema.json", import.meta.url), "utf8"),
) as { $defs: Record<string, SchemaDefinition> };

const REGISTRIES = [
  ["container", CONTAINER_FIELD_CLASSES],
  ["hostConfig", HOST_CONFIG_FIELD_CLASSES],
  ["createOptions", CREATE_OPTIONS_FIELD_CLASSES],
] as const;

describe("field classes", () => {
  it.each(REGISTRIES)(
    "$defs/%s: every schema property has a class, and every class a schema property",
    (def, registry) => {
      const definition = schema.$defs[def];
      expect(definition, `schema has no $defs/${def}`).toBeDefined();
      // Closed objects: a key the schema does not list cannot reach the planner unclassified.
      expect(definition?.additionalProperties).toBe(false);
      const properties = Object.keys(definition?.properties ?? {}).sort();
      expect(properties.length).toBeGreaterThan(0);
      expect(Object.keys(registry).sort()).toEqual(properties);
    },
  );

  it("every class is one of recreate, in-place, reconnect, ignored", () => {
    for (const [, registry] of REGISTRIES)
      for (const value of Object.values(registry as Record<string, string>))
        expect(["recreate", "in-place", "reconnect", "ignored"]).toContain(value);
  });

  it("the limits `docker update` changes are exactly the in-place host_config keys but the restart policy", () => {
    const inPlace = Object.entries(HOST_CONFIG_FIELD_CLASSES)
      .filter(([key, value]) => value === "in-place" && key !== "restart_policy")
      .map(([key]) => key)
      .sort();
    expect(Object.keys(UPDATABLE_LIMITS).sort()).toEqual(inPlace);
  });

  it("create_options keys the normalizer moves to host_config are in-place there too", () => {
    for (const [key, value] of Object.entries(CREATE_OPTIONS_FIELD_CLASSES)) {
      if (value !== "in-place") continue;
      const hostKey = key === "cpuset" ? "cpuset_cpus" : key;
      expect(HOST_CONFIG_FIELD_CLASSES[hostKey as keyof typeof HOST_CONFIG_FIELD_CLASSES]).toBe("in-place");
    }
  });

  it("every field of the canonical spec has a class by its own name (classOf of a spec path)", () => {
    const map = mapOf(`a: {image: "a:1"}`);
    const [container] = map.resolved.containers;
    if (container === undefined) throw new Error("no container");
    const spec = buildContainerSpec(container, defaultClientContext(), containerNameLookup(map.resolved));
    for (const field of Object.keys(spec)) {
      expect(Object.keys(CONTAINER_FIELD_CLASSES), `spec field ${field}`).toContain(field);
    }
    expect(classOf("environment.FOO")).toBe("recreate");
    expect(classOf("host_config.mem_limit")).toBe("in-place");
    expect(classOf("host_config.privileged")).toBe("recreate");
    expect(classOf("networks.app.back")).toBe("reconnect");
    expect(classOf("restart")).toBe("in-place");
    expect(classOf("create_options.tty")).toBe("recreate");
  });
});
