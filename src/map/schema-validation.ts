import schemaDocument from "../../schemas/container-map.schema.json" with { type: "json" };
// ajv's options, shared with the validator compiled ahead of time (scripts/map-validator-source.mjs).
import ajvOptions from "./ajv-options.json" with { type: "json" };
import { createRequire } from "node:module";
import type * as AjvModule from "ajv/dist/2020.js";
import type { Ajv2020, ValidateFunction } from "ajv/dist/2020.js";
import { sha256 } from "../common/canonical-json.js";
import { text } from "../common/text.js";
import validateMapFile from "./generated/map-schema-validator.js";
import { closest, didYouMean, oddCharacter } from "./did-you-mean.js";
import { ProblemList } from "./map-error.js";
import type { MapPath, PositionIndex } from "./yaml-source.js";

type Schema = Record<string, unknown>;

export const MAP_SCHEMA_ID = "https://berth.dev/schemas/container-map.schema.json";

const mapSchema = schemaDocument as Schema;

let ajv: Ajv2020 | undefined;
const validators = new Map<string, ValidateFunction>();

/** Whether a value matches the subschema at a JSON pointer (not a type guard: it narrows nothing). */
function valid(pointer: string, value: unknown): boolean {
  return validatorAt(pointer)(value);
}

/**
 * A validator for the subschema at a JSON pointer of the map schema (cached). Only an invalid map
 * needs these: compiling costs hundreds of milliseconds, which is why a valid map is checked by the
 * validator compiled ahead of time.
 */
function validatorAt(pointer: string): ValidateFunction {
  let validate = validators.get(pointer);
  if (!validate) {
    ajv ??= newAjv();
    validate = ajv.compile({ $ref: `${MAP_SCHEMA_ID}#${pointer}` });
    validators.set(pointer, validate);
  }
  return validate;
}

function newAjv(): Ajv2020 {
  // Loaded on first use: a valid map never needs ajv itself, and `berth` starts without it.
  const { Ajv2020: Ajv } = createRequire(import.meta.url)("ajv/dist/2020.js") as typeof AjvModule;
  const instance = new Ajv(ajvOptions);
  instance.addSchema(mapSchema);
  return instance;
}

let schemaDigest: string | undefined;

/**
 * A digest of the map schema and of ajv's options, which the validator compiled ahead of time is
 * made from: a cached map file remembers the schema it passed by this (see YamlTree.passed).
 */
export function mapSchemaDigest(): string {
  return (schemaDigest ??= sha256(`${JSON.stringify(mapSchema)}\n${JSON.stringify(ajvOptions)}`).slice(
    0,
    32,
  ));
}

export function mapSchemaDocument(): Readonly<Schema> {
  return mapSchema;
}

/** Map-level keys, as the schema lists them. */
export const MAP_LEVEL_KEYS: readonly string[] = Object.keys(mapSchema.properties as Schema);

/** Keys a container configuration may have, as the schema lists them. */
export const CONTAINER_KEYS: readonly string[] = Object.keys(
  ((mapSchema.$defs as Schema).container as Schema).properties as Schema,
);

export interface ShapeContext {
  positions: PositionIndex;
  problems: ProblemList;
}

/**
 * Validates one parsed map file against the schema. ajv decides whether it is valid; when it is
 * not, berth walks the schema beside the value to report each problem once, at its position, in
 * the words of the map format ("unknown key", "expected a port") rather than ajv's.
 */
export function validateMapShape(value: unknown, context: ShapeContext): boolean {
  if (value === null || value === undefined) return true; // an empty file is an empty map
  if (validateMapFile(value)) return true;
  const before = context.problems.items.length;
  const explainer = new Explainer(context);
  if (isObject(value)) explainer.explainRoot(value);
  else explainer.explain("", value, []);
  if (context.problems.items.length === before) {
    // The explainer found nothing ajv did: report ajv's own words rather than nothing.
    const validate = validatorAt("");
    validate(value);
    for (const error of validate.errors ?? []) {
      const path = error.instancePath.split("/").slice(1).map(decodePointer);
      context.problems.add(context.positions.valueAt(path), `${error.message ?? "invalid value"}`);
    }
  }
  return false;
}

class Explainer {
  /** Path depths of the problems reported, to compare explanations. */
  readonly reported: number[] = [];
  constructor(private readonly context: ShapeContext) {}

  /**
   * `name`: the name or text refused; a look-alike or invisible character in it is named, and the
   * problem points at it (a plain or quoted one-line scalar: its column from the scalar's start).
   */
  private report(path: MapPath, message: string, hint?: string, atKey = false, name?: unknown): void {
    this.reported.push(path.length);
    let at = atKey ? this.context.positions.keyAt(path) : this.context.positions.valueAt(path);
    // In a key every character counts; in a value (text of any kind) only look-alikes do.
    const odd = typeof name === "string" ? oddCharacter(name, atKey ? "any" : "look-alikes") : undefined;
    if (odd !== undefined) {
      at = { ...at, col: this.context.positions.textColumn(path, atKey) + odd.index };
      message = `${message}: ${odd.description}`;
    }
    this.context.problems.add(at, message, hint);
  }

  /** The top level mixes map keys and containers; a near-miss of a map key is a typo, not a container. */
  explainRoot(value: Record<string, unknown>): void {
    const root = mapSchema;
    const properties = root.properties as Schema;
    for (const [key, member] of Object.entries(value)) {
      if (key.startsWith("x-")) continue;
      if (key in properties) {
        this.explain(`/properties/${encodePointer(key)}`, member, [key]);
        continue;
      }
      const typo = closest(key, MAP_LEVEL_KEYS);
      const isContainerShaped = member === null || isObject(member);
      if (!isContainerShaped) {
        this.report(
          [key],
          `unknown map-level key \`${key}\``,
          typo
            ? `did you mean \`${typo}\`?`
            : "a top-level key is a map-level key or a container name, and a container configuration is a mapping",
          true,
        );
        continue;
      }
      if (typo !== undefined && !valid("/$defs/container", member)) {
        this.report([key], `unknown map-level key \`${key}\``, `did you mean \`${typo}\`?`, true);
        continue;
      }
      if (!valid("/$defs/topLevelKey", key)) {
        this.report([key], `invalid container name \`${key}\``, expectedOf("/$defs/configName"), true, key);
        continue;
      }
      this.explain("/$defs/container", member, [key], `container \`${key}\``);
    }
  }

  /**
   * Reports why `value` does not match the subschema at `pointer`; returns true if it does.
   * `inherited`: what the enclosing form accepts, for a branch that says nothing itself.
   */
  explain(pointer: string, value: unknown, path: MapPath, owner?: string, inherited?: string): boolean {
    if (valid(pointer, value)) return true;
    const schema = schemaAt(pointer);
    const expected = expectedOf(pointer) ?? inherited;
    if (pointer === "/$defs/container" && owner === undefined) owner = `container \`${text(path.at(-1))}\``;
    if (typeof schema.$ref === "string") {
      return this.explain(schema.$ref.slice(1), value, path, owner, expected);
    }
    if (Array.isArray(schema.anyOf)) {
      this.explainAnyOf(pointer, schema, value, path, owner, expected);
      return false;
    }
    if (!matchesType(schema, value)) {
      this.report(path, `expected ${expected ?? describeType(schema)}, found ${describeValue(value)}`);
      return false;
    }
    if (isObject(value)) this.explainObject(pointer, schema, value, path, owner);
    else if (Array.isArray(value)) this.explainArray(pointer, schema, value, path, expected);
    else this.explainScalar(schema, value, path, expected);
    return false;
  }

  private explainAnyOf(
    pointer: string,
    schema: Schema,
    value: unknown,
    path: MapPath,
    owner: string | undefined,
    expected: string | undefined,
  ): void {
    const branches = (schema.anyOf as Schema[]).map((_, i) => `${pointer}/anyOf/${i}`);
    let candidates = branches.filter((branch) => matchesType(resolved(branch), value));
    // `0 (the default) or 2 to 262144`: a number fits the range better than the constant.
    const ranged = candidates.filter(
      (branch) => !("const" in resolved(branch)) && !("enum" in resolved(branch)),
    );
    if (typeof value === "number" && ranged.length > 0) candidates = ranged;
    if (candidates.length === 0) {
      this.report(path, `expected ${expected ?? "another form"}, found ${describeValue(value)}`);
      return;
    }
    let chosen = candidates[0] as string;
    if (candidates.length > 1 && isObject(value)) {
      // Several mapping forms: explain the one whose known keys the value uses.
      const best = bestObjectBranch(candidates, value);
      if (best === undefined) {
        this.report(path, `expected ${expected ?? "another form"}, found ${describeValue(value)}`);
        return;
      }
      chosen = best;
    } else if (candidates.length > 1) {
      // Several list (or string) forms: the one that explains the value with the fewest, most
      // precise problems is the form the author meant.
      chosen = this.leastSurprisingBranch(candidates, value, path, owner);
    }
    this.explain(chosen, value, path, owner, expected);
  }

  /** Tries each branch on a scratch list; fewest problems first, then the deepest ones. */
  private leastSurprisingBranch(branches: string[], value: unknown, path: MapPath, owner?: string): string {
    let best = branches[0] as string;
    let bestScore: [number, number] = [Infinity, 0];
    for (const branch of branches) {
      const scratch = new Explainer({ positions: this.context.positions, problems: new ProblemList() });
      scratch.explain(branch, value, path, owner);
      const score: [number, number] = [scratch.reported.length, -Math.max(0, ...scratch.reported)];
      if (score[0] < bestScore[0] || (score[0] === bestScore[0] && score[1] < bestScore[1])) {
        best = branch;
        bestScore = score;
      }
    }
    return best;
  }

  private explainObject(
    pointer: string,
    schema: Schema,
    value: Record<string, unknown>,
    path: MapPath,
    owner?: string,
  ): void {
    const properties = (schema.properties ?? {}) as Schema;
    const known = Object.keys(properties);
    for (const name of (schema.required ?? []) as string[]) {
      if (!(name in value)) this.report(path, `missing key \`${name}\``);
    }
    for (const [key, member] of Object.entries(value)) {
      const memberPath = [...path, key];
      if (schema.propertyNames !== undefined && !valid(`${pointer}/propertyNames`, key)) {
        if (key === "__all__") {
          this.report(
            memberPath,
            "`__all__` is reserved: it is the group of every container",
            undefined,
            true,
          );
        } else
          this.report(
            memberPath,
            `invalid name \`${key}\``,
            expectedOf(`${pointer}/propertyNames`),
            true,
            key,
          );
        continue;
      }
      if (key in properties) {
        this.explain(`${pointer}/properties/${encodePointer(key)}`, member, memberPath, owner);
      } else if (schema.additionalProperties === false) {
        const where = describeOwner(path) ?? owner;
        const hint =
          (pointer === "/$defs/container" ? COMPOSE_HINTS[key] : undefined) ??
          didYouMean(key, known) ??
          `known keys: ${known.join(", ")}`;
        this.report(
          memberPath,
          `unknown key \`${key}\`${where === undefined ? "" : ` in ${where}`}`,
          hint,
          true,
        );
      } else if (isObject(schema.additionalProperties)) {
        this.explain(`${pointer}/additionalProperties`, member, memberPath, owner);
      }
    }
  }

  private explainArray(
    pointer: string,
    schema: Schema,
    value: unknown[],
    path: MapPath,
    expected?: string,
  ): void {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) {
      this.report(path, `expected at least ${schema.minItems} item(s)${expected ? ` (${expected})` : ""}`);
    }
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) {
      this.report(path, `expected at most ${schema.maxItems} item(s)${expected ? ` (${expected})` : ""}`);
    }
    const prefix = (schema.prefixItems ?? []) as Schema[];
    value.forEach((item, index) => {
      if (index < prefix.length) this.explain(`${pointer}/prefixItems/${index}`, item, [...path, index]);
      else if (schema.items === false) {
        if (typeof schema.maxItems !== "number") this.report([...path, index], "unexpected item");
      } else if (schema.items !== undefined) this.explain(`${pointer}/items`, item, [...path, index]);
    });
  }

  private explainScalar(schema: Schema, value: unknown, path: MapPath, expected?: string): void {
    if (Array.isArray(schema.enum)) {
      const options = (schema.enum as unknown[]).filter((v) => v !== null).map((v) => `\`${text(v)}\``);
      const hint =
        typeof value === "string"
          ? didYouMean(
              value,
              options.map((o) => o.slice(1, -1)),
            )
          : undefined;
      this.report(path, `expected one of ${options.join(", ")}, found ${describeValue(value)}`, hint);
      return;
    }
    if ("const" in schema) {
      this.report(path, `expected ${JSON.stringify(schema.const)}, found ${describeValue(value)}`);
      return;
    }
    if (typeof value === "number") {
      if (schema.type === "integer" && !Number.isInteger(value)) this.report(path, `expected a whole number`);
      else if (typeof schema.minimum === "number" && value < schema.minimum) {
        this.report(path, `expected a number of at least ${schema.minimum}, found ${value}`);
      } else if (typeof schema.maximum === "number" && value > schema.maximum) {
        this.report(path, `expected a number of at most ${schema.maximum}, found ${value}`);
      } else this.report(path, `invalid number ${value}`);
      return;
    }
    if (
      typeof value === "string" &&
      typeof schema.minLength === "number" &&
      value.length < schema.minLength
    ) {
      this.report(path, `expected ${expected ?? "a non-empty string"}, found an empty string`);
      return;
    }
    this.report(
      path,
      `expected ${expected ?? describeType(schema)}, found ${describeValue(value)}`,
      undefined,
      false,
      value,
    );
  }
}

/** Keys Compose users write, and what berth calls them. */
const COMPOSE_HINTS: Record<string, string> = {
  ports: "berth calls them `exposes` (`exposes: {80: 8080}`)",
  expose: "berth calls them `exposes`",
  volumes:
    "a container mounts host paths with `binds`, named volumes with `attaches` or `uses`, anonymous ones with `shares`",
  volumes_from: "berth calls it `uses`",
  container_name: "names are derived: `<map>.<config>[.<instance>]`",
  stop_grace_period: "berth calls it `stop_timeout`",
  env_file: "put variables in `.env` beside the map and write `${VAR}`",
  mem_limit: "write it under `host_config`",
  cpu_shares: "write it under `host_config`",
  privileged: "write it under `host_config`",
  cap_add: "write it under `host_config`",
  build: "berth runs images; build them first",
};

/**
 * Which object a path is in, for messages: `container \`web\``, `` `create_options` of
 * container `web` ``, `volume \`data\``, `` `exec_commands[0]` of container `web` ``.
 */
function describeOwner(path: MapPath): string | undefined {
  if (path.length === 0) return undefined;
  const [first, second] = path;
  const describe = (kind: string, name: unknown, rest: MapPath) => {
    const base = `${kind} \`${text(name)}\``;
    if (rest.length === 0) return base;
    const field = rest
      .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${p}`))
      .join("");
    return `\`${field}\` of ${base}`;
  };
  if (first === "containers")
    return second === undefined ? undefined : describe("container", second, path.slice(2));
  if (first === "volumes")
    return second === undefined ? undefined : describe("volume", second, path.slice(2));
  if (first === "networks")
    return second === undefined ? undefined : describe("network", second, path.slice(2));
  if (typeof first === "string" && !MAP_LEVEL_KEYS.includes(first))
    return describe("container", first, path.slice(1));
  return undefined;
}

function schemaAt(pointer: string): Schema {
  let node: unknown = mapSchema;
  for (const part of pointer.split("/").slice(1)) {
    node = (node as Record<string, unknown>)[decodePointer(part)];
  }
  return (node ?? {}) as Schema;
}

/** The subschema at a pointer with `$ref`s followed. */
function resolved(pointer: string): Schema {
  let schema = schemaAt(pointer);
  for (let guard = 0; typeof schema.$ref === "string" && guard < 10; guard++)
    schema = schemaAt(schema.$ref.slice(1));
  return schema;
}

/**
 * The human description of what the subschema at a pointer accepts, following `$ref`s: its `title`
 * (a standard annotation, so that strict validators and editors accept the schema as it is; editors
 * show it as the expected type). The document's own title names the schema, not a value.
 */
function expectedOf(pointer: string): string | undefined {
  let schema = schemaAt(pointer);
  for (let guard = 0; guard < 10; guard++) {
    if (typeof schema.title === "string" && schema !== mapSchema) return schema.title;
    if (typeof schema.$ref !== "string") return undefined;
    schema = schemaAt(schema.$ref.slice(1));
  }
  return undefined;
}

function typesOf(schema: Schema): string[] | undefined {
  if (Array.isArray(schema.anyOf)) {
    const nested = (schema.anyOf as Schema[]).map((s) => typesOf(resolvedSchema(s)));
    if (nested.some((t) => t === undefined)) return undefined;
    return nested.flatMap((t) => t ?? []);
  }
  if (typeof schema.type === "string") return [schema.type];
  if (Array.isArray(schema.type)) return schema.type as string[];
  if (Array.isArray(schema.enum)) return (schema.enum as unknown[]).map(jsonType);
  if ("const" in schema) return [jsonType(schema.const)];
  return undefined;
}

function resolvedSchema(schema: Schema): Schema {
  let out = schema;
  for (let guard = 0; typeof out.$ref === "string" && guard < 10; guard++) out = schemaAt(out.$ref.slice(1));
  return out;
}

function matchesType(schema: Schema, value: unknown): boolean {
  const types = typesOf(resolvedSchema(schema));
  if (types === undefined) return true;
  const actual = jsonType(value);
  return types.some((t) => t === actual || (t === "number" && actual === "integer"));
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value === "object" ? "object" : typeof value;
}

function bestObjectBranch(branches: string[], value: Record<string, unknown>): string | undefined {
  const keys = Object.keys(value);
  let best: string | undefined;
  let bestScore = 0;
  for (const branch of branches) {
    const properties = Object.keys(resolved(branch).properties ?? {});
    const score = keys.filter((k) => properties.includes(k)).length;
    if (score > bestScore) {
      best = branch;
      bestScore = score;
    }
  }
  if (best !== undefined) return best;
  // No branch names the keys: prefer the free-form mapping branch (no fixed properties).
  return branches.find((branch) => resolved(branch).properties === undefined);
}

function describeType(schema: Schema): string {
  const types = typesOf(resolvedSchema(schema)) ?? ["another value"];
  const words: Record<string, string> = {
    string: "a string",
    integer: "a whole number",
    number: "a number",
    boolean: "true or false",
    object: "a mapping",
    array: "a list",
    null: "nothing (null)",
  };
  return [...new Set(types)].map((t) => words[t] ?? t).join(" or ");
}

function describeValue(value: unknown): string {
  switch (jsonType(value)) {
    case "null":
      return "nothing";
    case "array":
      return "a list";
    case "object":
      return "a mapping";
    case "string": {
      const text = value as string;
      return text === "" ? "an empty string" : `\`${text.length > 40 ? `${text.slice(0, 40)}…` : text}\``;
    }
    default:
      return `\`${String(value)}\``;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function encodePointer(part: string): string {
  return part.replace(/~/g, "~0").replace(/\//g, "~1");
}

function decodePointer(part: string): string {
  return part.replace(/~1/g, "/").replace(/~0/g, "~");
}
