import { canonicalJson } from "../common/canonical-json.js";
import type { ContainerSpec, EndpointSpec } from "../desired/container-spec.js";
import { isSensitiveName, SENSITIVE_PLACEHOLDER } from "../desired/sensitive.js";
import { classOf } from "../fields/field-classes.js";
import { optionField } from "../fields/fields-host-config.js";
import { setValueAt, type FieldClass } from "../fields/fields.js";
import type { EffectiveConfig } from "../observe/observed-state.js";
import type { Reason } from "./plan-types.js";

/**
 * `refresh: full`: what the engine runs (read back from an inspect, src/observe/refresh.ts)
 * against what the map says, field by field over the field registry. Pure.
 *
 * Only what the map says is compared, never an engine or image default: an environment variable
 * or label the map does not set (PATH, the image's own) is not drift, and neither is an alias the
 * engine gives every endpoint. A value the map sets that the engine no longer has is drift. The
 * in-place limits and the restart policy are the exception: the engine reports well-known values
 * when nothing was set (0, ""), so one set by hand where the map sets none is seen too.
 */
export interface ConfigDrift {
  /** A spec path: `environment.FOO`, `host_config.mem_limit`, `binds`. */
  field: string;
  class: FieldClass;
  reason: Reason;
  /** In place only: the engine cannot go back to "not set" (a limit set by hand): recreate. */
  unsetByUpdate?: boolean;
}

const OUTSIDE = "changed outside berth";

export function configDrift(
  spec: ContainerSpec,
  running: EffectiveConfig,
  sensitive: readonly string[],
): ConfigDrift[] {
  const fields = running.fields;
  const out: ConfigDrift[] = [];
  const push = (field: string, reason: Reason, extra: Partial<ConfigDrift> = {}) =>
    out.push({ field, class: classOf(field), reason, ...extra });
  const value = (field: string, wanted: unknown) => {
    if (!(field in fields) || wanted === null || wanted === undefined) return;
    if (!covers(wanted, fields[field])) push(field, valueReason(field, fields[field], wanted));
  };

  keyed(
    "environment",
    spec.environment,
    fields.environment,
    (name) => isSensitiveName(name, sensitive),
    push,
  );
  keyed("labels", spec.labels, fields.labels, () => false, push);
  for (const field of ["command", "entrypoint", "working_dir", "user", "domainname"] as const)
    value(field, spec[field]);
  // A container in another's network stack (or the host's) has that one's hostname.
  const ownStack = !spec.network_mode.startsWith("container:") && spec.network_mode !== "host";
  if (ownStack) value("hostname", spec.hostname);
  // The engine keeps no zero in a health check (0 is its default): read back as not set.
  const zeroless = (n: number | null) => (n === 0 ? null : n);
  const health = spec.healthcheck;
  value(
    "healthcheck",
    health === null
      ? null
      : {
          test: health.test,
          interval_ns: zeroless(health.interval_ns),
          timeout_ns: zeroless(health.timeout_ns),
          retries: zeroless(health.retries),
          start_period_ns: zeroless(health.start_period_ns),
        },
  );
  value("network_mode", networkModeOf(spec.network_mode, fields.network_mode));
  setDrift("binds", spec.binds, asList(fields.binds), push);
  // On a network of its own the engine keeps no legacy links in HostConfig: it reports none.
  const legacyLinks = spec.network_mode === "default" || spec.network_mode === "bridge";
  if (legacyLinks) setDrift("links", spec.links, asList(fields.links), push);
  const exposes = exposedPorts(spec.exposes);
  setDrift("exposes", exposes, exposesSeen(exposes, asList(fields.exposes)), push);
  missingDrift("shares", spec.shares, asList(fields.shares), push);
  volumeDrift(spec, running, push);
  inPlaceDrift(spec, fields, push);
  for (const table of ["host_config", "create_options"] as const) {
    for (const [key, wanted] of Object.entries(spec[table]))
      if (classOf(`${table}.${key}`) !== "in-place") value(`${table}.${key}`, asReadBack(table, key, wanted));
  }
  return out;
}

type Push = (field: string, reason: Reason, extra?: Partial<ConfigDrift>) => void;

/**
 * Whether the engine's value is the map's: equal, or for a mapping every key the map sets has its
 * value (the engine fills in the rest: a log driver's empty config, a health check's defaults).
 */
export function covers(wanted: unknown, seen: unknown): boolean {
  if (wanted !== null && typeof wanted === "object" && !Array.isArray(wanted)) {
    if (seen === null || typeof seen !== "object" || Array.isArray(seen)) return false;
    const record = seen as Record<string, unknown>;
    return Object.entries(wanted).every(
      ([key, value]) => value === null || value === undefined || covers(value, record[key]),
    );
  }
  if (Array.isArray(wanted)) {
    return Array.isArray(seen) && seen.length === wanted.length && wanted.every((w, i) => covers(w, seen[i]));
  }
  return canonicalJson(wanted) === canonicalJson(seen ?? null);
}

/** Per key of a mapping the map sets (environment, labels): changed or removed by hand. */
function keyed(
  field: string,
  wanted: Record<string, string>,
  seen: unknown,
  secret: (key: string) => boolean,
  push: Push,
): void {
  if (seen === undefined) return;
  const running = (seen ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(wanted)) {
    const path = `${field}.${key}`;
    const now = running[key];
    if (now === value) continue;
    const hidden = secret(key);
    const shown = (v: unknown) => (hidden ? SENSITIVE_PLACEHOLDER : v);
    const message =
      now === undefined
        ? `${path}: removed outside berth (the map sets it)`
        : hidden
          ? `${path}: ${OUTSIDE}`
          : `${path}: ${show(now)} → ${show(value)} (${OUTSIDE})`;
    const reason: Reason = { message, field: path, new: shown(value) };
    if (now !== undefined) reason.old = shown(now);
    push(path, reason);
  }
}

/** A list field compared as a set: entries added or removed by hand. */
function setDrift(field: string, wanted: readonly string[], seen: string[] | undefined, push: Push): void {
  if (seen === undefined) return;
  const removed = wanted.filter((w) => !seen.includes(w));
  const added = seen.filter((s) => !wanted.includes(s));
  if (removed.length === 0 && added.length === 0) return;
  const parts = [
    ...(removed.length > 0 ? [`${removed.join(", ")} missing`] : []),
    ...(added.length > 0 ? [`${added.join(", ")} added`] : []),
  ];
  push(field, { message: `${field}: ${parts.join("; ")} (${OUTSIDE})`, field, old: seen, new: [...wanted] });
}

/** A list where the engine adds entries of its own (the image's volumes): only missing ones count. */
function missingDrift(
  field: string,
  wanted: readonly string[],
  seen: string[] | undefined,
  push: Push,
): void {
  if (seen === undefined) return;
  const missing = wanted.filter((w) => !seen.includes(w));
  if (missing.length === 0) return;
  push(field, {
    message: `${field}: ${missing.join(", ")} missing (${OUTSIDE})`,
    field,
    old: seen,
    new: [...wanted],
  });
}

/** A port both exposed and published reads back as published only. */
function exposedPorts(wanted: readonly string[]): string[] {
  return wanted.filter((e) => e.includes("=") || !wanted.some((w) => w.startsWith(`${e}=`)));
}

/**
 * Published ports: the image's own exposed ports (not published) are the engine's, not drift;
 * every published one and every port the map exposes are compared.
 */
function exposesSeen(wanted: readonly string[], seen: string[] | undefined): string[] | undefined {
  return seen?.filter((entry) => entry.includes("=") || wanted.includes(entry));
}

/** Named volumes (attaches and used volumes) and volumes_from, against the engine's mounts. */
function volumeDrift(spec: ContainerSpec, running: EffectiveConfig, push: Push): void {
  const attached = spec.attaches;
  const used = spec.uses.filter((u) => u.startsWith("volume:")).map(usedVolumeBind);
  const wanted = [...attached, ...used];
  const missing = (entries: string[]) => entries.filter((e) => !running.volumeBinds.includes(e));
  const added = running.volumeBinds.filter((b) => !wanted.includes(b));
  for (const [field, entries] of [
    ["attaches", attached],
    ["uses", used],
  ] as const) {
    const gone = missing(entries);
    if (gone.length > 0)
      push(field, { message: `${field}: ${gone.join(", ")} not mounted (${OUTSIDE})`, field, new: entries });
  }
  if (added.length > 0)
    push("uses", { message: `uses: ${added.join(", ")} mounted (${OUTSIDE})`, field: "uses", old: added });
  const from = spec.uses
    .filter((u) => u.startsWith("container:"))
    .map(volumesFromEntry)
    .sort();
  if (canonicalJson(from) !== canonicalJson(running.volumesFrom))
    push("uses", {
      message: `uses: volumes from ${show(running.volumesFrom)}, the map says ${show(from)} (${OUTSIDE})`,
      field: "uses",
      old: running.volumesFrom,
      new: from,
    });
}

/**
 * The restart policy and the `docker update` limits. The map's value, or where it sets none the
 * value the engine gives at create (memoryswap: twice the memory; others: unset).
 */
function inPlaceDrift(spec: ContainerSpec, fields: Record<string, unknown>, push: Push): void {
  if ("restart" in fields) {
    const wanted = spec.restart ?? "no";
    if (fields.restart !== wanted) push("restart", valueReason("restart", fields.restart, wanted));
  }
  for (const [field, seen] of Object.entries(fields)) {
    if (!field.startsWith("host_config.") || classOf(field) !== "in-place") continue;
    const key = field.slice("host_config.".length);
    const entry = optionField("host_config", key);
    if (entry?.update === undefined) continue;
    const set = spec.host_config[key];
    const wanted = set ?? entry.updateDefault?.(spec.host_config);
    // An engine without swap accounting reports no memoryswap (-1) where it would set twice the memory.
    const engineChose = set === undefined && (entry.unset ?? []).includes(seen);
    if (wanted !== undefined) {
      if (!covers(wanted, seen) && !engineChose) push(field, valueReason(field, seen, wanted));
    } else if (!(entry.unset ?? [null]).some((u) => canonicalJson(u) === canonicalJson(seen))) {
      push(
        field,
        {
          message: `${field}: set to ${showField(field, seen)} outside berth, the map sets none; the engine cannot unset it in place`,
          field,
          old: seen,
        },
        { unsetByUpdate: true },
      );
    }
  }
}

/**
 * A host_config or create_options value in the form its read-back gives (`group_add: [1000]` is
 * sent and read back as `["1000"]`): sent through the registry's Docker field and read back.
 */
function asReadBack(table: "host_config" | "create_options", key: string, wanted: unknown): unknown {
  const entry = optionField(table, key);
  if (entry === undefined || !("copy" in entry.docker) || !("read" in entry.readBack)) return wanted;
  const sent = entry.docker.to === undefined ? wanted : entry.docker.to(wanted);
  const details: Record<string, unknown> = {};
  // Body fields outside HostConfig are under Config in an inspect answer.
  const path = entry.docker.copy.startsWith("HostConfig.")
    ? entry.docker.copy
    : `Config.${entry.docker.copy}`;
  setValueAt(details, path, sent);
  return entry.readBack.read(details);
}

/** network_mode as the engine shows it: `container:ID` for `container:NAME` (compared as a kind). */
function networkModeOf(wanted: string, seen: unknown): string {
  if (wanted.startsWith("container:") && typeof seen === "string" && seen.startsWith("container:"))
    return seen;
  // `disabled` is `none` plus NetworkDisabled, which create_options.network_disabled may override.
  if (wanted === "disabled" && seen === "none") return seen;
  return wanted;
}

function valueReason(field: string, seen: unknown, wanted: unknown): Reason {
  return {
    message: `${field}: ${showField(field, seen)} → ${showField(field, wanted)} (${OUTSIDE})`,
    field,
    old: seen ?? null,
    new: wanted,
  };
}

/**
 * The endpoints the engine has on the networks the map lists, without the aliases it gives every
 * endpoint by itself: what the map's endpoints are compared with.
 */
export function runningEndpoints(running: EffectiveConfig): Record<string, EndpointSpec> | undefined {
  const seen = running.fields.networks as Record<string, EndpointSpec> | null | undefined;
  if (seen === undefined || seen === null) return undefined;
  return Object.fromEntries(
    Object.entries(seen).map(([network, endpoint]) => [
      network,
      { ...endpoint, aliases: endpoint.aliases.filter((a) => !running.engineAliases.includes(a)) },
    ]),
  );
}

function asList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? (value as string[]) : [];
}

function usedVolumeBind(entry: string): string {
  const [, name, path, mode] = entry.split(":");
  return mode === "ro" ? `${name}:${path}:ro` : `${name}:${path}`;
}

function volumesFromEntry(entry: string): string {
  const [, name, mode] = entry.split(":");
  return mode === "ro" ? `${name}:ro` : `${name}`;
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : canonicalJson(value ?? null);
}

/** Sizes read best in the map's units: `128m`, not 134217728. */
function showField(field: string, value: unknown): string {
  const key = field.startsWith("host_config.") ? field.slice("host_config.".length) : undefined;
  const isSize = key !== undefined && optionField("host_config", key)?.normalize === "size";
  return isSize && typeof value === "number" && value > 0 ? showSize(value) : show(value);
}

export function showSize(bytes: number): string {
  for (const [unit, size] of [
    ["g", 1024 ** 3],
    ["m", 1024 ** 2],
    ["k", 1024],
  ] as const)
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  return `${bytes}b`;
}
