import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error -- a plain .mjs build script without type declarations
import { mapValidatorSource } from "../../../scripts/map-validator-source.mjs";
import validateMapFile from "../../../src/map/generated/map-schema-validator.js";
import { mapSchemaDocument } from "../../../src/map/schema-validation.js";

const generatedFile = new URL("../../../src/map/generated/map-schema-validator.js", import.meta.url);

describe("the map validator compiled ahead of time", () => {
  it("is the code the current schema compiles to (else: node scripts/compile-schema.mjs)", () => {
    const fresh = (mapValidatorSource as (schema: unknown) => string)(mapSchemaDocument());
    expect(readFileSync(generatedFile, "utf8") === fresh).toBe(true);
  });

  it("accepts a valid map and rejects an unknown container key", () => {
    expect(validateMapFile({ web: { image: "nginx", links: ["db"] }, db: {} })).toBe(true);
    expect(validateMapFile({ web: { imagee: "nginx" } })).toBe(false);
    expect(validateMapFile.errors?.[0]?.instancePath).toBe("/web");
  });
});
