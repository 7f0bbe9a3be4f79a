import { canonicalJson, digest } from "../common/canonical-json.js";
import type { ResolvedNetwork, ResolvedVolume } from "../map/model.js";
import { LABEL } from "../model/labels.js";
import type { ObservedNetwork, ObservedVolume } from "../observe/observed-state.js";
import type { Reason } from "./plan-types.js";

/**
 * Networks and volumes are compared the way containers are: berth records the whole desired
 * definition it created an object from (label `berth.spec`) with its digest (`berth.spec-hash`),
 * and the next plan compares the map's definition against that record, field by field.
 *
 * Objects made before the record existed carry an older digest of fewer fields, or none. They are
 * compared fairly, on what the engine's list shows (driver, driver options, internal, labels) and
 * what the older digest covered — never recreated merely because their labels are older.
 */

/** Everything a network is created from; the engine cannot change any of it afterwards. */
export interface NetworkDefinition {
  driver: string;
  driver_options: Record<string, string>;
  internal: boolean;
  enable_ipv6: boolean;
  attachable: boolean;
  labels: Record<string, string>;
  ipam: object | null;
}

/** Everything a volume is created from. */
export interface VolumeDefinition {
  driver: string;
  driver_options: Record<string, string>;
  labels: Record<string, string>;
}

/** The record of a definition, in the `berth.spec` label of the network or volume. */
interface DefinitionRecord<D> {
  v: 1;
  definition: D;
}

/** Labels berth writes itself; every other label on an object is the map's. */
const BERTH_LABELS: ReadonlySet<string> = new Set(Object.values(LABEL));

export function networkDefinition(network: ResolvedNetwork): NetworkDefinition {
  return {
    driver: network.driver,
    driver_options: network.driver_options,
    internal: network.internal,
    enable_ipv6: network.enable_ipv6,
    attachable: network.attachable,
    labels: network.labels,
    ipam: network.ipam ?? null,
  };
}

export function volumeDefinition(volume: ResolvedVolume): VolumeDefinition {
  return { driver: volume.driver, driver_options: volume.driver_options, labels: volume.labels };
}

export function definitionHash(definition: NetworkDefinition | VolumeDefinition): string {
  return digest(definition, 32);
}

/** The labels a network is created with: the map's, then berth's (ownership and the record). */
export function networkLabels(mapName: string, network: ResolvedNetwork): Record<string, string> {
  return objectLabels(mapName, "network", network.key, networkDefinition(network), network.labels);
}

/** The labels a volume is created with: the map's, then berth's (ownership and the record). */
export function volumeLabels(mapName: string, volume: ResolvedVolume): Record<string, string> {
  return objectLabels(mapName, "volume", volume.key, volumeDefinition(volume), volume.labels);
}

function objectLabels<D extends NetworkDefinition | VolumeDefinition>(
  mapName: string,
  kind: "network" | "volume",
  key: string,
  definition: D,
  own: Record<string, string>,
): Record<string, string> {
  const record: DefinitionRecord<D> = { v: 1, definition };
  return {
    ...own,
    [LABEL.map]: mapName,
    [LABEL.kind]: kind,
    [LABEL.alias]: key,
    [LABEL.specHash]: definitionHash(definition),
    [LABEL.spec]: canonicalJson(record),
  };
}

/** The definition recorded on an object; undefined when it has none (older berth) or it is unreadable. */
export function recordedDefinition<D extends object>(
  labels: Readonly<Record<string, string>>,
): D | undefined {
  const text = labels[LABEL.spec];
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<DefinitionRecord<D>>;
    return parsed.v === 1 && typeof parsed.definition === "object" && parsed.definition !== null
      ? parsed.definition
      : undefined;
  } catch {
    return undefined;
  }
}

/** The labels the map put on an object: its labels without berth's own. */
export function mapLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([name]) => !BERTH_LABELS.has(name)));
}

/** One reason per field whose value differs, in the order given. */
export function fieldDifferences<D extends object>(recorded: Partial<D>, desired: D): Reason[] {
  const reasons: Reason[] = [];
  for (const [field, value] of Object.entries(desired)) {
    const before: unknown = (recorded as Record<string, unknown>)[field];
    if (canonicalJson(before) === canonicalJson(value)) continue;
    reasons.push({ message: `${field} changed`, field, old: before ?? null, new: value });
  }
  return reasons;
}

/**
 * How an existing network of the map differs from its definition in the map (no reasons: none).
 * With a record: field by field against it. Without (made by an older berth): what the list shows,
 * and the fields the older digest covered.
 */
export function networkDifferences(desired: NetworkDefinition, observed: ObservedNetwork): Reason[] {
  const recorded = recordedDefinition<NetworkDefinition>(observed.labels);
  if (recorded !== undefined) {
    if (observed.labels[LABEL.specHash] === definitionHash(desired)) return [];
    return fieldDifferences(recorded, desired);
  }
  const seen = fieldDifferences(
    {
      driver: observed.driver,
      driver_options: observed.options,
      internal: observed.internal,
      labels: mapLabels(observed.labels),
    },
    {
      driver: desired.driver,
      driver_options: desired.driver_options,
      internal: desired.internal,
      labels: desired.labels,
    },
  );
  const legacy = observed.labels[LABEL.specHash];
  if (seen.length > 0 || legacy === undefined || legacy === legacyNetworkHash(desired)) return seen;
  // The older digest covered two fields the list does not show.
  return [{ message: "enable_ipv6 or attachable changed", field: "create_options" }];
}

/** How an existing volume of the map differs from its definition in the map (see networkDifferences). */
export function volumeDifferences(desired: VolumeDefinition, observed: ObservedVolume): Reason[] {
  const recorded = recordedDefinition<VolumeDefinition>(observed.labels);
  if (recorded !== undefined) {
    if (observed.labels[LABEL.specHash] === definitionHash(desired)) return [];
    return fieldDifferences(recorded, desired);
  }
  return fieldDifferences(
    { driver: observed.driver, driver_options: observed.options, labels: mapLabels(observed.labels) },
    desired,
  );
}

/** The digest berth 0.x wrote on networks before the definition record (its fields, its spelling). */
function legacyNetworkHash(desired: NetworkDefinition): string {
  return digest(
    {
      driver: desired.driver,
      options: desired.driver_options,
      internal: desired.internal,
      ipv6: desired.enable_ipv6,
      attachable: desired.attachable,
      labels: desired.labels,
    },
    32,
  );
}
