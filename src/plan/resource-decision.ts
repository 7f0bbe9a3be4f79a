import type { ResolvedNetwork, ResolvedVolume } from "../map/model.js";
import { applyMode, octalMode } from "../common/file-mode.js";
import type { VolumeOwnerRecord } from "../desired/map-state.js";
import type { ObservedFolder, ObservedNetwork, ObservedVolume } from "../observe/observed-state.js";
import {
  networkDefinition,
  networkDifferences,
  volumeDefinition,
  volumeDifferences,
} from "./object-definition.js";
import type { Reason } from "./plan-types.js";

/**
 * What happens to a network or volume of the map, and why: pure functions of plain data, as for
 * containers (container-decision.ts).
 */
export type ResourceDecision =
  | { kind: "create"; reasons: Reason[] }
  /** Made by someone else: used as it is. */
  | { kind: "foreign" }
  | { kind: "keep" }
  /** Differs, and this action leaves it as it is (startup): reported only. */
  | { kind: "outdated"; reasons: Reason[] }
  | { kind: "recreate"; reasons: Reason[] }
  /** A volume that differs and may not be recreated: the plan stops (its data would be lost). */
  | { kind: "refuse"; reasons: Reason[] };

export interface ResourceAction {
  mapName: string;
  /** `update` changes what exists; `startup` only creates. */
  update: boolean;
  /** `update --recreate-volumes`: a volume that differs may be removed and made again. */
  recreateVolumes: boolean;
}

/** A network cannot change: one that differs from the map is made again (update). */
export function decideNetwork(
  desired: ResolvedNetwork,
  existing: ObservedNetwork | undefined,
  action: ResourceAction,
): ResourceDecision {
  if (existing === undefined) return { kind: "create", reasons: [{ message: "network does not exist" }] };
  if (existing.mapName !== action.mapName) return { kind: "foreign" };
  const reasons = networkDifferences(networkDefinition(desired), existing);
  if (reasons.length === 0) return { kind: "keep" };
  return action.update ? { kind: "recreate", reasons } : { kind: "outdated", reasons };
}

/**
 * A volume holds data, and berth never loses data implicitly: one that differs from the map is
 * made again only with `update --recreate-volumes`; `update` without it refuses to plan (an empty
 * plan means the engine runs the map); `startup` reports it.
 */
export function decideVolume(
  desired: ResolvedVolume,
  existing: ObservedVolume | undefined,
  action: ResourceAction,
): ResourceDecision {
  if (existing === undefined) return { kind: "create", reasons: [{ message: "volume does not exist" }] };
  if (existing.mapName !== action.mapName) return { kind: "foreign" };
  const reasons = volumeDifferences(volumeDefinition(desired), existing);
  if (reasons.length === 0) return { kind: "keep" };
  if (!action.update) return { kind: "outdated", reasons: [...reasons, VOLUME_KEPT] };
  if (!action.recreateVolumes) return { kind: "refuse", reasons };
  return { kind: "recreate", reasons: [...reasons, { message: "--recreate-volumes: its data is lost" }] };
}

/**
 * Why an existing volume's owner or mode must be applied again (empty: nothing to do). Compares
 * what the map asks with what berth recorded when it last applied them (the map's state record)
 * and, with `refresh: full`, with what the folder holds now (a chown or chmod made by hand). A
 * `user` or `permissions` the map no longer sets is left as it is, as on a new volume.
 */
export function volumeOwnerDifferences(
  desired: Pick<ResolvedVolume, "user" | "permissions">,
  recorded: VolumeOwnerRecord | undefined,
  folder: ObservedFolder | undefined,
): Reason[] {
  if (desired.user === undefined && desired.permissions === undefined) return [];
  const reasons: Reason[] = [];
  if (recorded === undefined) {
    reasons.push({
      message:
        "berth has no record of the owner and mode it applied (the map was shut down, the preparation did not finish, or an earlier berth made the volume)",
    });
  } else {
    for (const field of ["user", "permissions"] as const) {
      const wanted = desired[field];
      if (wanted !== undefined && wanted !== recorded[field]) {
        reasons.push({ message: `${field} changed`, field, old: recorded[field], new: wanted });
      }
    }
  }
  if (folder !== undefined) reasons.push(...folderDrift(desired, folder));
  return reasons;
}

/** A folder whose owner or mode is not what the map asks: changed by hand since berth set it. */
function folderDrift(
  desired: Pick<ResolvedVolume, "user" | "permissions">,
  folder: ObservedFolder,
): Reason[] {
  const reasons: Reason[] = [];
  if (desired.user !== undefined) {
    // Only numeric ids can be checked here: a name means what the helper image's /etc/passwd says.
    const [uid, gid] = desired.user.split(":");
    const differs = (wanted: string | undefined, seen: number) =>
      wanted !== undefined && /^\d+$/.test(wanted) && Number(wanted) !== seen;
    if (differs(uid, folder.uid) || differs(gid, folder.gid)) {
      reasons.push({
        message: "owner changed outside berth",
        field: "owner",
        old: `${folder.uid}:${folder.gid}`,
        new: desired.user,
      });
    }
  }
  if (desired.permissions !== undefined) {
    // Applying the mode string again would change the folder: it no longer has that mode.
    const expected = applyMode(folder.mode, desired.permissions, true);
    if (expected !== undefined && (expected & 0o7777) !== (folder.mode & 0o7777)) {
      reasons.push({
        message: "mode changed outside berth",
        field: "mode",
        old: octalMode(folder.mode),
        new: desired.permissions,
      });
    }
  }
  return reasons;
}

/** Said with every owner or mode repair: the containers keep running. */
export const REPAIRED_IN_PLACE: Reason = {
  message: "repaired in place by a helper container (chown -R / chmod -R); no container is recreated",
};

const VOLUME_KEPT: Reason = {
  message:
    "berth never recreates a volume implicitly: its data would be lost; update --recreate-volumes allows it",
};

/** `driver_options changed ({…} → {…})`: what a refusal or a warning says changed. */
export function describeReasons(reasons: readonly Reason[]): string {
  return reasons
    .map((r) =>
      r.field === undefined || !("old" in r)
        ? r.message
        : `${r.message} (${JSON.stringify(r.old)} → ${JSON.stringify(r.new)})`,
    )
    .join("; ");
}
