import type { ResolvedNetwork, ResolvedVolume } from "../map/model.js";
import type { ObservedNetwork, ObservedVolume } from "../observe/observed-state.js";
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
