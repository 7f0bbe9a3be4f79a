import type { DependencyCondition } from "../map/model.js";

/**
 * Steps of one engine's part of a plan that steps of another engine's part wait for. Engines are
 * planned one after another, so such a step may not be planned yet: the waiting step holds a
 * stand-in (PlanBuilder.remote) until every engine is planned, then plan.ts resolves it.
 *
 * - `gate`: the start, health or completion of a container (a `depends_on` across engines);
 * - `network`: an overlay network is there to use (created or made again on its swarm manager);
 * - `detached`: the containers of an engine are off an overlay network (it is made again);
 * - `unattached`: the containers of an engine on an overlay network are removed (shutdown);
 * - `stopped`: a container has stopped (a dependency on another engine stops after it).
 */
export type RemoteStep =
  | { kind: "gate"; condition: DependencyCondition; client: string; key: string }
  | { kind: SharedKind; client: string; key: string };

/** What an engine's part shares with the others, by network key or container key. */
export type SharedKind = "network" | "detached" | "unattached" | "stopped";

export function remoteToken(ref: RemoteStep): string {
  return ref.kind === "gate"
    ? JSON.stringify([ref.kind, ref.client, ref.key, ref.condition])
    : JSON.stringify([ref.kind, ref.client, ref.key]);
}

export function parseRemoteToken(token: string): RemoteStep {
  const [kind, client, key, condition] = JSON.parse(token) as [string, string, string, string?];
  if (kind === "gate") return { kind, client, key, condition: condition as DependencyCondition };
  return { kind: kind as SharedKind, client, key };
}
