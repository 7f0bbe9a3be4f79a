import { readFileSync } from "node:fs";
import { Ajv2020, type Options } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { loadMap } from "../../../src/load-map.js";
import { isMapError } from "../../../src/map/map-error.js";
import ajvOptions from "../../../src/map/ajv-options.json" with { type: "json" };

const read = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../../schemas/${name}`, import.meta.url), "utf8")) as Record<
    string,
    unknown
  >;

/** Compiles a schema with nothing declared beyond Ajv 2020's own keywords and formats. */
function compileStrictly(schema: Record<string, unknown>, options: Options) {
  return new Ajv2020({ ...options, logger: false }).compile(schema);
}

describe("the shipped JSON Schemas in a consumer's strict Ajv 2020", () => {
  // Ajv's strict mode rejects a keyword it does not know (the map schema's former `x-expected`).
  it.each(["container-map.schema.json", "plan.schema.json"])(
    "%s compiles with Ajv 2020's defaults (strict mode) and with berth's own strict options",
    (name) => {
      expect(() => compileStrictly(read(name), {})).not.toThrow();
      expect(() => compileStrictly(read(name), { ...ajvOptions })).not.toThrow();
    },
  );

  it("the map schema validates a map there as berth does", () => {
    const validate = compileStrictly(read("container-map.schema.json"), {});
    expect(validate({ name: "m", web: { image: "nginx", links: ["db"] }, db: { image: "x" } })).toBe(true);
    expect(validate({ name: "bad name", web: { image: "nginx" } })).toBe(false);
  });

  it("the map schema has no extension keywords (`x-…`), which strict validators reject", () => {
    const unknown: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (Array.isArray(node)) node.forEach((item, i) => walk(item, `${at}/${i}`));
      if (typeof node !== "object" || node === null || Array.isArray(node)) return;
      for (const [key, value] of Object.entries(node)) {
        if (key.startsWith("x-")) unknown.push(`${at}/${key}`);
        walk(value, `${at}/${key}`);
      }
    };
    walk(read("container-map.schema.json"), "#");
    expect(unknown).toEqual([]);
  });
});

describe("a map error's expected form (the subschema's title)", () => {
  const problems = (text: string): string[] => {
    try {
      loadMap({ files: ["m.yaml"], texts: { "m.yaml": text } });
    } catch (err) {
      if (isMapError(err)) return err.problems.map((p) => p.message);
      throw err;
    }
    return [];
  };

  it("names what the key accepts", () => {
    expect(problems("name: 'bad name'\napp:\n  image: x\n")).toEqual([
      "expected a name of letters, digits, `_`, `.` and `-`, starting with a letter or digit, found `bad name`",
    ]);
  });

  it("is never the schema document's own title", () => {
    expect(problems("- a\n- b\n")).toEqual(["expected a mapping, found a list"]);
  });
});
