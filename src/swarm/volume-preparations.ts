import type { ContainerInstance, ResolvedMap } from "../map/model.js";
import { LABEL } from "../model/labels.js";
import type { ServiceGroup } from "./desired-services.js";
import { dnsLabel, MAX_DNS_LABEL } from "./service-names.js";
import { SWARM_LABEL } from "./service-record.js";
import { volumeOptions } from "./task-spec.js";
import type { VolumePreparation } from "./swarm-types.js";

const MOUNT = "/berth-volume";

/**
 * A named volume is local to the node that made it. A service that attaches one with an owner or
 * permissions is pinned to one node (checked at validate time), and a one-task job on that node
 * mounts the volume first and sets them — the same chown/chmod berth's volume preparation runs
 * on a plain engine, as root, with the helper image (or the owner's image).
 */
export function preparationsOf(
  map: ResolvedMap,
  group: ServiceGroup,
  container: ContainerInstance,
  constraints: readonly string[],
): VolumePreparation[] {
  const node = group.nodes.length === 1 ? group.nodes[0] : undefined;
  if (node === undefined) return [];
  const label = group.manager;
  const out: VolumePreparation[] = [];
  for (const mount of container.attaches) {
    const volume = map.volumes.find((v) => v.key === mount.volume);
    if (volume === undefined || (volume.user === undefined && volume.permissions === undefined)) continue;
    const user = volume.user ?? null;
    const permissions = volume.permissions ?? null;
    const name = `${group.name}-prep-${dnsLabel(volume.alias)}`.slice(0, MAX_DNS_LABEL).replace(/-+$/, "");
    out.push({
      volume: volume.name,
      node,
      user,
      permissions,
      spec: {
        Name: name,
        Labels: {
          [LABEL.map]: map.name,
          [LABEL.config]: group.config,
          [LABEL.kind]: "preparation",
          [LABEL.alias]: volume.key,
          [SWARM_LABEL.client]: label,
        },
        TaskTemplate: {
          ContainerSpec: {
            Image: map.helperImage ?? container.image,
            Command: ["sh", "-c", preparationScript(user, permissions)],
            User: "0:0",
            Mounts: [
              {
                Type: "volume",
                Source: volume.name,
                Target: MOUNT,
                VolumeOptions: volumeOptions(map, volume, group.manager),
              },
            ],
          },
          RestartPolicy: { Condition: "none" },
          // The service's constraints: the node it is pinned to.
          Placement: { Constraints: [...constraints] },
        },
        Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } },
      },
    });
  }
  return out;
}

function preparationScript(user: string | null, permissions: string | null): string {
  const lines = ["set -e"];
  if (user !== null) lines.push(`chown -R ${quote(user)} ${MOUNT}`);
  if (permissions !== null) lines.push(`chmod -R ${quote(permissions)} ${MOUNT}`);
  lines.push(`stat -c 'after %u %g %a' ${MOUNT}`);
  return lines.join("\n");
}

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
