import { createHmac } from "node:crypto";
import { canonicalJson, digest } from "../common/canonical-json.js";
import { LABEL } from "../model/labels.js";
import type { ContainerSpec } from "./container-spec.js";
import { isSensitiveName } from "./sensitive.js";

/**
 * The spec berth records on a container it creates (label `berth.spec`), read back by the next
 * plan for a per-field diff. Secret environment values are stored as an HMAC keyed with a random
 * per-container salt, so the label never holds them, yet a changed secret is still detected.
 */
export interface AppliedSpec {
  v: 1;
  salt: string;
  spec: ContainerSpec;
  /** Ids of the containers this one refers to (links, volumes_from, network_mode) when it was made. */
  bound: Record<string, string>;
}

const HMAC_PREFIX = "hmac-sha256:";

export function protectValue(value: string, salt: string): string {
  return HMAC_PREFIX + createHmac("sha256", salt).update(value).digest("hex");
}

/** The spec with every sensitive environment value replaced by its salted HMAC. */
export function protectSpec(spec: ContainerSpec, salt: string, sensitive: readonly string[]): ContainerSpec {
  let environment: Record<string, string> | undefined;
  for (const [name, value] of Object.entries(spec.environment)) {
    if (!isSensitiveName(name, sensitive)) continue;
    environment ??= { ...spec.environment };
    environment[name] = protectValue(value, salt);
  }
  return environment === undefined ? spec : { ...spec, environment };
}

export function specHash(protectedSpec: ContainerSpec): string {
  return digest(protectedSpec, 32);
}

export function encodeSpecLabels(
  spec: ContainerSpec,
  salt: string,
  sensitive: readonly string[],
  bound: Record<string, string>,
): Record<string, string> {
  const protectedSpec = protectSpec(spec, salt, sensitive);
  const applied: AppliedSpec = { v: 1, salt, spec: protectedSpec, bound };
  return { [LABEL.spec]: canonicalJson(applied), [LABEL.specHash]: specHash(protectedSpec) };
}

/** The applied spec from a container's labels; undefined when missing or unreadable. */
export function decodeSpecLabel(
  labels: Readonly<Record<string, string>> | null | undefined,
): AppliedSpec | undefined {
  const text = labels?.[LABEL.spec];
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<AppliedSpec>;
    if (
      parsed.v !== 1 ||
      typeof parsed.salt !== "string" ||
      typeof parsed.spec !== "object" ||
      parsed.spec === null
    ) {
      return undefined;
    }
    return { v: 1, salt: parsed.salt, spec: parsed.spec, bound: parsed.bound ?? {} };
  } catch {
    return undefined;
  }
}
