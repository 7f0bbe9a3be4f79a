// Compiles the map schema's validator ahead of time (ajv "standalone" code) into
// src/map/generated/map-schema-validator.js. Compiling it at run time cost a third of a no-op
// `berth update` (about 300 ms of code generation on every start). The file is committed; a unit
// test (test/unit/map/generated-validator.test.ts) fails when it no longer matches the schema.
//
//   node scripts/compile-schema.mjs          write the file
//   node scripts/compile-schema.mjs --check  exit 1 when the committed file is stale
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { mapValidatorSource } from "./map-validator-source.mjs";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const target = join(root, "src/map/generated/map-schema-validator.js");
const source = mapValidatorSource(
  JSON.parse(readFileSync(join(root, "schemas/container-map.schema.json"), "utf8")),
);

if (process.argv.includes("--check")) {
  const current = readFileSync(target, "utf8");
  if (current !== source) {
    process.stderr.write(`${target} is stale: run node scripts/compile-schema.mjs\n`);
    process.exit(1);
  }
} else {
  writeFileSync(target, source);
  process.stderr.write(`wrote ${target}\n`);
}
