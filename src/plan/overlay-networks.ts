import { compareText } from "../common/text.js";
import { OVERLAY_DRIVER, type ResolvedMap, type ResolvedNetwork } from "../map/model.js";
import type { ObservedClient, ObservedState } from "../observe/observed-state.js";
import { PlanError } from "./plan-context.js";
import { decideNetwork, type ResourceAction, type ResourceDecision } from "./resource-decision.js";

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

/** Where an overlay network of the map is made, and what its engine's part does with it. */
export interface OverlayPlacement {
  /** The swarm manager client that creates, makes again and removes it (the others only join it). */
  home: string;
  /** What the home engine decides (the others disconnect their containers when it is made again). */
  decision: ResourceDecision["kind"];
}

/**
 * Places each overlay network of the map on one swarm manager among its clients (the first by
 * name): created there once, attachable; containers on the other clients join it by name. Every
 * client with a container on it must be a node of that manager's swarm: refused otherwise, before
 * any change (the container could not attach). Call after refuseOverlayWithoutManager.
 */
export function placeOverlays(
  resolved: ResolvedMap,
  observed: ObservedState,
  action: ResourceAction,
): Map<string, OverlayPlacement> {
  const placements = new Map<string, OverlayPlacement>();
  const overlays = resolved.networks.filter((n) => n.driver === OVERLAY_DRIVER);
  if (overlays.length === 0) return placements;
  const home = overlayHome(resolved, observed);
  if (home === undefined) return placements;
  const homeEngine = observed.clients[home] as ObservedClient;
  for (const network of overlays) {
    refuseOutsideSwarm(resolved, observed, network, home);
    const existing = homeEngine.networks.find((n) => n.name === network.name);
    placements.set(network.key, { home, decision: decideNetwork(network, existing, action).kind });
  }
  return placements;
}

/** The client that makes the map's overlay networks: the first swarm manager by name, if any. */
export function overlayHome(resolved: ResolvedMap, observed: ObservedState): string | undefined {
  return [...resolved.clients].filter((c) => observed.clients[c]?.swarmManager === true).sort(compareText)[0];
}

function refuseOutsideSwarm(
  resolved: ResolvedMap,
  observed: ObservedState,
  network: ResolvedNetwork,
  home: string,
): void {
  const homeNode = observed.clients[home]?.swarmNode?.nodeId;
  for (const container of resolved.containers) {
    if (!container.endpoints.some((e) => e.network === network.key)) continue;
    for (const client of container.clients) {
      const engine = observed.clients[client];
      if (client === home || engine === undefined) continue;
      if (homeNode !== undefined && engine.swarmNode?.managers.includes(homeNode) === true) continue;
      throw new PlanError(
        `overlay network \`${network.key}\` is made on the swarm manager \`${home}\`, but client \`${client}\`, where \`${container.key}\` joins it, is not a node of that swarm`,
        {
          hint: `join \`${client}\`'s engine to the swarm of \`${home}\` (docker swarm join), or place \`${container.key}\` on a client of that swarm`,
        },
      );
    }
  }
}
