import { canonicalJson } from "../common/canonical-json.js";
import type { ResolvedBuild } from "../map/model.js";
import { normalizeImageReference } from "../model/image-reference.js";
import type { ContextDigest } from "./build-context.js";
import { isSensitiveName } from "./sensitive.js";
import { protectValue } from "./spec-label.js";

/** Labels berth puts on an image it builds. */
export const BUILD_LABEL = {
  /** What the image was built from (BuildRecord, canonical JSON). */
  record: "berth.build",
} as const;

/** How records and plans name a Dockerfile written in the map. */
export const GENERATED_DOCKERFILE = "generated Dockerfile";

/** More context entries than this are recorded by their digest alone (labels stay small). */
export const MAX_LISTED_FILES = 2000;

/**
 * What an image was built from, as its `berth.build` label records it. Sensitive build
 * arguments are kept as a salted HMAC (see spec-label.ts): a change is seen, the value never shown.
 */
export interface BuildRecord {
  v: 1;
  salt: string;
  /** Context entries and their digests; null when there were more than MAX_LISTED_FILES. */
  files: Record<string, string> | null;
  filesDigest: string;
  dockerfile: string;
  dockerfilePath: string;
  args: Record<string, string>;
  target: string | null;
  /** Base image reference → its id when the image was built (null: not on the engine). */
  bases: Record<string, string | null>;
}

/** The record of a build from these inputs (base ids as the engine has them now). */
export function buildRecord(
  build: ResolvedBuild,
  context: ContextDigest,
  baseIds: Readonly<Record<string, string | undefined>>,
  salt: string,
  sensitive: readonly string[],
): BuildRecord {
  const args: Record<string, string> = {};
  for (const [name, value] of Object.entries(build.args))
    args[name] = isSensitiveName(name, sensitive) ? protectValue(value, salt) : value;
  const bases: Record<string, string | null> = {};
  for (const base of context.bases) bases[base] = baseIds[normalizeImageReference(base)] ?? null;
  const listed = Object.keys(context.files).length <= MAX_LISTED_FILES;
  return {
    v: 1,
    salt,
    files: listed ? context.files : null,
    filesDigest: context.filesDigest,
    dockerfile: context.dockerfile,
    dockerfilePath: build.generated === undefined ? build.dockerfile : GENERATED_DOCKERFILE,
    args,
    target: build.target ?? null,
    bases,
  };
}

export function encodeBuildLabels(record: BuildRecord): Record<string, string> {
  return { [BUILD_LABEL.record]: canonicalJson(record) };
}

/** The record from an image's labels; undefined when missing or unreadable. */
export function decodeBuildRecord(
  labels: Readonly<Record<string, string>> | undefined,
): BuildRecord | undefined {
  const text = labels?.[BUILD_LABEL.record];
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<BuildRecord>;
    if (parsed.v !== 1 || typeof parsed.salt !== "string" || typeof parsed.filesDigest !== "string")
      return undefined;
    return parsed as BuildRecord;
  } catch {
    return undefined;
  }
}

const LISTED_CHANGES = 5;

/**
 * Why an image built from `recorded` differs from one built from `wanted` (both records, the
 * wanted one salted with the recorded salt): one message per difference, secrets never shown.
 */
export function buildDifferences(
  recorded: BuildRecord,
  wanted: BuildRecord,
  sensitive: readonly string[],
): string[] {
  const out: string[] = [];
  if (recorded.filesDigest !== wanted.filesDigest) out.push(...fileDifferences(recorded.files, wanted.files));
  if (recorded.dockerfilePath !== wanted.dockerfilePath)
    out.push(`Dockerfile is now ${wanted.dockerfilePath} (was ${recorded.dockerfilePath})`);
  else if (recorded.dockerfile !== wanted.dockerfile) out.push(`${wanted.dockerfilePath} changed`);
  for (const name of [...new Set([...Object.keys(recorded.args), ...Object.keys(wanted.args)])].sort()) {
    const before = recorded.args[name];
    const after = wanted.args[name];
    if (before === after) continue;
    const secret = isSensitiveName(name, sensitive);
    if (before === undefined)
      out.push(secret ? `build arg ${name} added` : `build arg ${name} added: ${after}`);
    else if (after === undefined) out.push(`build arg ${name} removed`);
    else
      out.push(secret ? `build arg ${name} changed (sensitive)` : `build arg ${name}: ${before} → ${after}`);
  }
  if (recorded.target !== wanted.target)
    out.push(`target: ${recorded.target ?? "(last stage)"} → ${wanted.target ?? "(last stage)"}`);
  for (const [base, id] of Object.entries(wanted.bases)) {
    const before = recorded.bases[base];
    if (before === id) continue;
    if (before === undefined) out.push(`base image ${base} is new`);
    else if (id === null) out.push(`base image ${base} is not on the engine`);
    else
      out.push(
        `base image ${base} now refers to ${short(id)} (built from ${before === null ? "none" : short(before)})`,
      );
  }
  return out;
}

function fileDifferences(
  before: Record<string, string> | null,
  after: Record<string, string> | null,
): string[] {
  if (before === null || after === null) return ["context files changed"];
  const changes: string[] = [];
  for (const [path, hash] of Object.entries(after)) {
    if (before[path] === undefined) changes.push(`context file ${path} added`);
    else if (before[path] !== hash) changes.push(`context file ${path} changed`);
  }
  for (const path of Object.keys(before))
    if (after[path] === undefined) changes.push(`context file ${path} removed`);
  if (changes.length <= LISTED_CHANGES) return changes;
  return [...changes.slice(0, LISTED_CHANGES), `and ${changes.length - LISTED_CHANGES} more context changes`];
}

function short(id: string): string {
  return id.replace(/^sha256:/, "").slice(0, 12);
}
