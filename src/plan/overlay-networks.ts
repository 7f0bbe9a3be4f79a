import { OVERLAY_DRIVER, type ResolvedMap } from "../map/model.js";
import type { ObservedState } from "../observe/observed-state.js";
import { PlanError } from "./plan-context.js";

/**
 * An overlay network spans engines, and only a swarm manager can create one: a map with one and no
 * swarm manager among its clients cannot be planned. Refused before any step, naming the network
 * and the clients that were asked (engines that did not answer could not be asked: named too).
 */
export function refuseOverlayWithoutManager(resolved: ResolvedMap, observed: ObservedState): void {
  const overlays = resolved.networks.filter((n) => n.driver === OVERLAY_DRIVER);
  if (overlays.length === 0) return;
  const asked = [...resolved.clients].filter((c) => observed.clients[c] !== undefined).sort();
  if (asked.some((c) => observed.clients[c]?.swarmManager === true)) return;
  const unanswered = Object.keys(observed.unreachable ?? {}).sort();
  const networks = overlays.map((n) => `\`${n.key}\``).join(", ");
  const none =
    asked.length === 1
      ? `client \`${asked[0] as string}\` is not a swarm manager`
      : `none of the clients ${asked.map((c) => `\`${c}\``).join(", ")} is a swarm manager`;
  const down = unanswered.length === 0 ? "" : ` (${unanswered.join(", ")} did not answer)`;
  throw new PlanError(
    `network ${networks} has driver overlay, which only a swarm manager creates: ${none}${down}`,
    {
      hint: "make one of the map's clients a swarm manager (`docker swarm init`), or give the network another driver",
    },
  );
}
