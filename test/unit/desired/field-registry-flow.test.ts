import { describe, expect, it, vi } from "vitest";
import { loadMap } from "../../../src/load-map.js";
import { printMapYaml } from "../../../src/map/print-map.js";
import { defaultClientContext } from "../../../src/plan/plan.js";
import { createBody, updateBody } from "../../../src/desired/create-body.js";
import {
  buildContainerSpec,
  containerNameLookup,
  type ContainerSpec,
} from "../../../src/desired/container-spec.js";
import { classOf } from "../../../src/fields/field-classes.js";
import { readAt, valueAt, type OptionField } from "../../../src/fields/fields.js";
import { HOST_CONFIG_FIELDS } from "../../../src/fields/fields-host-config.js";
import { diffSpecs } from "../../../src/desired/spec-diff.js";

/**
 * The registry is the single source of a key: a key added to the schema and given one registry
 * entry — nothing else — flows from the map file to the Docker request, reads back from the
 * inspect output, and shows in the plan's diff as the change class the entry gives it.
 */

// The schema with one more host_config key, compiled as the build compiles the real one.
vi.mock("../../../src/map/generated/map-schema-validator.js", async () => {
  const { readFileSync } = await import("node:fs");
  const { Ajv2020 } = await import("ajv/dist/2020.js");
  const read = (path: string): Record<string, unknown> =>
    JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8")) as Record<string, unknown>;
  const schema = read("../../../schemas/container-map.schema.json") as {
    $defs: { hostConfig: { properties: Record<string, unknown> } };
  };
  schema.$defs.hostConfig.properties.fake_limit = { $ref: "#/$defs/byteSize" };
  const ajv = new Ajv2020(read("../../../src/map/ajv-options.json"));
  return { default: ajv.compile(schema) };
});

const FAKE: OptionField = {
  class: "in-place",
  normalize: "size",
  docker: { copy: "HostConfig.FakeLimit" },
  readBack: readAt("HostConfig.FakeLimit"),
  update: "FakeLimit",
};

const mapText = (size: string) => `
name: flow
app:
  image: app:1
  host_config: {fake_limit: ${size}, mem_limit: 64m}
`;

function specOf(size: string): ContainerSpec {
  const map = loadMap({ files: ["m.yaml"], texts: { "m.yaml": mapText(size) }, env: {} });
  const [app] = map.resolved.containers;
  if (app === undefined) throw new Error("no container");
  return buildContainerSpec(app, defaultClientContext(), containerNameLookup(map.resolved));
}

describe("a key added to the schema and the registry, and nowhere else", () => {
  it("without a registry entry, the create body refuses it rather than dropping it", () => {
    expect(() => createBody(specOf("2k"), { labels: {}, carriedVolumes: [] })).toThrow(
      /host_config.fake_limit has no Docker field/,
    );
  });

  it("flows from the map to the Docker body, reads back, and diffs as its class says", () => {
    (HOST_CONFIG_FIELDS as Record<string, OptionField>).fake_limit = FAKE;

    // Loading: normalized by the entry's normalizer (a byte size), printed by `berth config`.
    const before = specOf("2k");
    expect(before.host_config.fake_limit).toBe(2048);
    expect(
      printMapYaml(loadMap({ files: ["m.yaml"], texts: { "m.yaml": mapText("2k") }, env: {} }).normalized),
    ).toMatch(/fake_limit: 2048/);

    // The Docker request, and the value read back from the engine's answer.
    const body = createBody(before, { labels: {}, carriedVolumes: [] });
    expect(valueAt(body, "HostConfig.FakeLimit")).toBe(2048);
    const inspect = { Config: {}, HostConfig: body.HostConfig };
    expect("read" in FAKE.readBack && FAKE.readBack.read(inspect)).toBe(2048);

    // A change is an in-place update of that one field.
    const after = specOf("4k");
    expect(classOf("host_config.fake_limit")).toBe("in-place");
    expect(diffSpecs(before, after, "salt", [])).toEqual([
      { field: "host_config.fake_limit", class: "in-place", old: 2048, new: 4096 },
    ]);
    expect(updateBody(after, ["host_config.fake_limit"])).toEqual({ FakeLimit: 4096 });
  });
});
