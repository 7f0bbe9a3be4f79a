import type { Labels, NetworkCreateBody, VolumeCreateBody } from "../engine/engine-types.js";
import type { DockerTarget } from "../fields/fields.js";
import { NETWORK_FIELDS, VOLUME_FIELDS } from "../fields/fields-objects.js";
import { ipamForEngine } from "../map/ipam.js";
import type { ResolvedNetwork, ResolvedVolume } from "../map/model.js";

/**
 * The create requests of a map's networks and volumes. The keys the registry copies go to their
 * Docker field by the registry's table; `create_options` (built) is spread here by hand.
 */
export function networkCreateBody(network: ResolvedNetwork, labels: Labels): NetworkCreateBody {
  const body: NetworkCreateBody = { Name: network.name, ...copied(NETWORK_FIELDS, network) };
  body.EnableIPv6 = network.enable_ipv6;
  body.Attachable = network.attachable;
  body.Labels = labels;
  if (network.ipam !== undefined) body.IPAM = ipamForEngine(network.ipam);
  return body;
}

export function volumeCreateBody(volume: ResolvedVolume, labels: Labels): VolumeCreateBody {
  return { Name: volume.name, ...copied(VOLUME_FIELDS, volume), Labels: labels };
}

/** The Docker fields of the registry's `copy` entries, from the resolved object's same-named keys. */
function copied(fields: Record<string, { docker: DockerTarget }>, object: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(fields)) {
    if (!("copy" in field.docker)) continue;
    const value = (object as Record<string, unknown>)[key];
    if (value !== undefined) out[field.docker.copy] = value;
  }
  return out;
}
