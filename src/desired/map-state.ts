import { canonicalJson, digest } from "../common/canonical-json.js";
import { LABEL } from "../model/labels.js";
import type { ContainerSpec, EndpointSpec } from "./container-spec.js";
import { UPDATABLE_LIMITS } from "../fields/field-classes.js";

/**
 * What berth changed on containers after it made them. Labels cannot change, so after a
 * `docker update` (limits, restart policy) or a reconnect (network endpoints) a container's label
 * still shows the values it was made with. berth records the values it set in one never-started
 * container per map and engine, `berth-state.<map>`; the container list (which observation reads
 * anyway) shows its label, so knowing costs no extra engine call.
 */
export interface InPlaceRecord {
  restart: string | null;
  /** Updatable limits only, by their map names (mem_limit, cpu_shares, …). */
  host_config: Record<string, unknown>;
  networks: Record<string, EndpointSpec>;
}

/**
 * The exec commands that ran in one container, by command digest (execDigest): the exit code of
 * the last run, `null` when it failed without one (refused by the engine, out of time). A command
 * is kept as a digest, never as text: it may hold a secret.
 */
export type ExecRecord = Record<string, number | null>;

/**
 * The owner and mode berth last applied to an attached volume (as the map asked: `user`,
 * `permissions`). A volume's labels cannot change either, and what the folder holds is not in
 * any list, so this is what a plan compares the map with.
 */
export interface VolumeOwnerRecord {
  user: string | null;
  permissions: string | null;
}

export interface MapState {
  v: 1;
  /** By container id: a replaced container's entry no longer matches anything. */
  containers: Record<string, InPlaceRecord>;
  /** Exec commands run, by container id (a recreated container starts with none). */
  exec?: Record<string, ExecRecord>;
  /** By volume name; absent in records written before berth kept them. */
  volumes?: Record<string, VolumeOwnerRecord>;
}

export const emptyMapState = (): MapState => ({ v: 1, containers: {} });

/**
 * What identifies an exec command in the record: its arguments and user. An edited command is
 * another command; a changed policy, timeout or detach is not (it already ran).
 */
export function execDigest(exec: { cmd: readonly string[]; user?: string | undefined }): string {
  return digest({ cmd: exec.cmd, user: exec.user ?? null });
}

export function stateContainerName(mapName: string): string {
  return `berth-state.${mapName}`;
}

export function encodeMapState(mapName: string, state: MapState): Record<string, string> {
  return { [LABEL.map]: mapName, [LABEL.kind]: "state", [LABEL.state]: canonicalJson(state) };
}

export function decodeMapState(
  labels: Readonly<Record<string, string>> | null | undefined,
): MapState | undefined {
  const text = labels?.[LABEL.state];
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<MapState>;
    if (parsed.v !== 1 || typeof parsed.containers !== "object" || parsed.containers === null)
      return undefined;
    const exec = typeof parsed.exec === "object" && parsed.exec !== null ? parsed.exec : undefined;
    const volumes =
      typeof parsed.volumes === "object" && parsed.volumes !== null ? parsed.volumes : undefined;
    return {
      v: 1,
      containers: parsed.containers,
      ...(exec === undefined ? {} : { exec }),
      ...(volumes === undefined ? {} : { volumes }),
    };
  } catch {
    return undefined;
  }
}

/** The in-place values of a spec, as the record keeps them. */
export function inPlaceRecordOf(spec: ContainerSpec): InPlaceRecord {
  const host_config: Record<string, unknown> = {};
  for (const limit of Object.keys(UPDATABLE_LIMITS)) {
    if (spec.host_config[limit] !== undefined) host_config[limit] = spec.host_config[limit];
  }
  return { restart: spec.restart, host_config, networks: spec.networks };
}

/** A container's label spec with the values berth changed since overlaid: what it runs now. */
export function effectiveSpec(applied: ContainerSpec, record: InPlaceRecord | undefined): ContainerSpec {
  if (record === undefined) return applied;
  const host_config: Record<string, unknown> = { ...applied.host_config };
  for (const limit of Object.keys(UPDATABLE_LIMITS)) delete host_config[limit];
  return {
    ...applied,
    restart: record.restart,
    host_config: { ...host_config, ...record.host_config },
    networks: record.networks,
  };
}
