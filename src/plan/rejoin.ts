import type { ContainerSpec } from "../desired/container-spec.js";
import type { EdgeKind } from "../map/resolve.js";
import type { Cause, Reason } from "./plan-types.js";

/**
 * Edges along which a target that starts again leaves a running dependent with a dead view of it:
 * a network_mode dependent keeps the old namespace (loopback only), and a linking one the old
 * address in /etc/hosts (the engine writes it at start). Such dependents restart after the target.
 */
export const REJOIN_EDGES: ReadonlySet<EdgeKind> = new Set<EdgeKind>(["network-mode", "links"]);

/**
 * Whether `dependent` (its spec) keeps a dead view of `targetName` once that starts again along
 * `edge`: always through network_mode; through links only for a legacy link (/etc/hosts, on the
 * default bridge) — a link on a user-defined network is resolved by the engine's DNS at each lookup.
 */
export function rejoins(edge: EdgeKind, dependent: ContainerSpec, targetName: string): boolean {
  if (edge === "network-mode") return true;
  const legacy = dependent.network_mode === "default" || dependent.network_mode === "bridge";
  return edge === "links" && legacy && dependent.links.some((l) => l.startsWith(`${targetName}:`));
}

/** Why a running dependent restarts after `target` (started or restarted along `target.edge`). */
export function rejoinReason(target: Cause): Reason {
  if (target.change === "restarted") {
    return {
      message: `${target.object} was started again after this container (by hand, or by its restart policy): its network namespace belongs to a previous start of ${target.object}; restarted to join the current one`,
      cause: target,
    };
  }
  const verb = target.change === "restart" ? "restarts" : "starts";
  const message =
    target.edge === "links"
      ? `${target.object} ${verb} with a new address, which this container's link would not know: restarted`
      : `${target.object} ${verb} and this container shares its network namespace: restarted to join it`;
  return { message, cause: target };
}
