import { randomBytes } from "node:crypto";
import { canonicalJson, digest } from "../common/canonical-json.js";
import { SENSITIVE_PLACEHOLDER, isSensitiveName } from "../desired/sensitive.js";
import { protectValue } from "../desired/spec-label.js";
import { LABEL } from "../model/labels.js";
import type { DesiredService, ServiceChange, SwarmServiceSpec } from "./swarm-types.js";

/** Labels berth puts on Swarm objects besides the ones it puts on containers (model/labels.ts). */
export const SWARM_LABEL = {
  /** The swarm manager's client. */
  client: "berth.client",
  /** Instance names folded into one service, comma-separated (empty for none). */
  instances: "berth.instances",
} as const;

/**
 * What berth records on a service it creates (label `berth.spec`): the spec it sent, without its
 * labels, with every sensitive environment value replaced by a salted HMAC. The next plan diffs
 * it field by field against the desired spec protected with the same salt — never against what
 * the engine reports, so engine defaults never cause an update.
 */
export interface ServiceRecord {
  v: 1;
  salt: string;
  spec: Omit<SwarmServiceSpec, "Labels">;
}

/** A fresh salt for a service berth has not recorded yet. */
export function newSalt(): string {
  return randomBytes(12).toString("hex");
}

/** The spec as recorded: labels left out, sensitive environment values hashed with `salt`. */
export function protectServiceSpec(
  spec: SwarmServiceSpec,
  salt: string,
  sensitive: readonly string[],
): ServiceRecord["spec"] {
  const { Labels: _labels, ...rest } = spec;
  const container = { ...rest.TaskTemplate.ContainerSpec };
  if (container.Env !== undefined)
    container.Env = container.Env.map((entry) => {
      const [name, value] = splitEnv(entry);
      return isSensitiveName(name, sensitive) ? `${name}=${protectValue(value, salt)}` : entry;
    });
  // A secret's id is the engine's, filled in once it exists: the name says which secret it is.
  if (container.Secrets !== undefined)
    container.Secrets = container.Secrets.map(({ SecretID: _id, ...reference }) => reference);
  return { ...rest, TaskTemplate: { ...rest.TaskTemplate, ContainerSpec: container } };
}

/** The labels that record a spec: `berth.spec` (the record) and `berth.spec-hash`. */
export function recordLabels(
  spec: SwarmServiceSpec,
  salt: string,
  sensitive: readonly string[],
): Record<string, string> {
  const record: ServiceRecord = { v: 1, salt, spec: protectServiceSpec(spec, salt, sensitive) };
  return { [LABEL.spec]: canonicalJson(record), [LABEL.specHash]: digest(record.spec, 32) };
}

/** The record of a service's labels; undefined when missing or unreadable. */
export function decodeServiceRecord(
  labels: Readonly<Record<string, string>> | null | undefined,
): ServiceRecord | undefined {
  const text = labels?.[LABEL.spec];
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<ServiceRecord>;
    if (parsed.v !== 1 || typeof parsed.salt !== "string") return undefined;
    if (typeof parsed.spec !== "object" || parsed.spec === null) return undefined;
    return { v: 1, salt: parsed.salt, spec: parsed.spec };
  } catch {
    return undefined;
  }
}

/** The salt recorded on a service, to build its desired spec with (so equal specs hash equal). */
export function recordedSalt(
  labels: Readonly<Record<string, string>> | null | undefined,
): string | undefined {
  return decodeServiceRecord(labels)?.salt;
}

/**
 * What differs between the service as berth recorded it (its labels) and the desired one, field by
 * field, with a reason each; [] when nothing does. A service without a readable record is one
 * change (`spec`): berth cannot tell what it runs, so it sends the whole spec.
 */
export function serviceChanges(
  desired: Pick<DesiredService, "spec"> & { sensitive?: readonly string[] },
  observedLabels: Readonly<Record<string, string>>,
): ServiceChange[] {
  const record = decodeServiceRecord(observedLabels);
  if (record === undefined)
    return [
      {
        field: "spec",
        reason: "the service carries no spec berth recorded (made elsewhere or by an older berth)",
      },
    ];
  const sensitive = desired.sensitive ?? [];
  const wanted = protectServiceSpec(desired.spec, record.salt, sensitive);
  if (canonicalJson(wanted) === canonicalJson(record.spec)) return [];
  const before = flatten(record.spec);
  const after = flatten(wanted);
  const out: ServiceChange[] = [];
  for (const field of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const old = before.get(field);
    const next = after.get(field);
    if (canonicalJson(old ?? null) === canonicalJson(next ?? null)) continue;
    out.push({ field, reason: reasonOf(field, old, next, sensitive) });
  }
  return out;
}

/**
 * Leaf fields of a spec by readable path: `TaskTemplate.` and `ContainerSpec.` are left out
 * (`Image`, `Env.FOO`, `Placement.Constraints`, `Mode.Replicated.Replicas`); lists are one value;
 * the environment is keyed by name.
 */
function flatten(spec: object): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (value: unknown, path: string[]): void => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) {
        walk(inner, key === "TaskTemplate" || key === "ContainerSpec" ? path : [...path, key]);
      }
      return;
    }
    if (path.length === 1 && path[0] === "Env" && Array.isArray(value)) {
      for (const entry of value as string[]) {
        const [name, text] = splitEnv(entry);
        out.set(`Env.${name}`, text);
      }
      return;
    }
    out.set(path.join("."), value);
  };
  walk(spec, []);
  return out;
}

function reasonOf(field: string, old: unknown, next: unknown, sensitive: readonly string[]): string {
  const secret = field.startsWith("Env.") && isSensitiveName(field.slice(4), sensitive);
  const show = (value: unknown) => (secret ? SENSITIVE_PLACEHOLDER : canonicalJson(value));
  if (old === undefined) return `${field} set to ${show(next)}`;
  if (next === undefined) return `${field} unset (was ${show(old)})`;
  return secret ? `${field} changed (sensitive)` : `${field} changed from ${show(old)} to ${show(next)}`;
}

function splitEnv(entry: string): [string, string] {
  const at = entry.indexOf("=");
  return at < 0 ? [entry, ""] : [entry.slice(0, at), entry.slice(at + 1)];
}
