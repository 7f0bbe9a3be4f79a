import { createHash } from "node:crypto";
import type { ContainerSummary } from "../src/engine/engine-types.js";
import type { LoadedMap } from "../src/load-map.js";
import { LABEL } from "../src/model/labels.js";
import { observedContainer } from "../src/observe/observe.js";
import type { ObservedClient, ObservedState } from "../src/observe/observed-state.js";
import { defaultClientContext } from "../src/plan/plan.js";
import { buildContainerSpec, containerNameLookup } from "../src/desired/container-spec.js";
import { encodeSpecLabels } from "../src/desired/spec-label.js";
import { BERTH_VERSION } from "../src/version.js";
import { IMAGE } from "./workload.js";

const IMAGE_ID = `sha256:${hex("bench-image")}`;

function hex(seed: string): string {
  return createHash("sha256").update(seed).digest("hex");
}

/**
 * The observed state of an engine on which `map` has converged, built without an engine: every
 * container exists, runs, and carries the labels berth would have written when creating it
 * (spec label with its salt, bound ids of link targets). Built through berth's own
 * `observedContainer`, so it is what `observe()` would return for such an engine.
 */
export function convergedObservedState(map: LoadedMap): ObservedState {
  const resolved = map.resolved;
  const client = defaultClientContext();
  const nameOf = containerNameLookup(resolved);
  const idOf = (name: string) => hex(`container ${name}`);
  const linkedAs = new Map<string, string[]>();
  for (const container of resolved.containers) {
    for (const link of container.links) {
      const target = nameOf(link.container);
      linkedAs.set(target, [...(linkedAs.get(target) ?? []), `/${container.name}/${link.alias}`]);
    }
  }
  const containers = resolved.containers.map((container, index) => {
    const spec = buildContainerSpec(container, client, nameOf);
    const bound = Object.fromEntries(
      container.links.map((l) => [nameOf(l.container), idOf(nameOf(l.container))]),
    );
    const id = idOf(container.name);
    const labels: Record<string, string> = {
      [LABEL.map]: resolved.name,
      [LABEL.config]: container.config,
      [LABEL.instance]: container.instance ?? "",
      [LABEL.kind]: "container",
      [LABEL.version]: BERTH_VERSION,
      ...spec.labels,
      ...encodeSpecLabels(spec, hex(`salt ${container.name}`).slice(0, 32), resolved.sensitive, bound),
    };
    const summary: ContainerSummary = {
      Id: id,
      Names: [`/${container.name}`, ...(linkedAs.get(container.name) ?? [])],
      Image: IMAGE,
      ImageID: IMAGE_ID,
      Created: 1_700_000_000 + index,
      Labels: labels,
      State: "running",
      Status: "Up 5 minutes",
      HostConfig: { NetworkMode: "default" },
      NetworkSettings: {
        Networks: {
          bridge: { NetworkID: hex("bridge"), EndpointID: hex(`endpoint ${id}`), Aliases: null, Links: null },
        },
      },
      Mounts: [...container.attaches, ...container.usesVolumes].map((v) => ({
        Type: "volume",
        Name: v.name,
        Source: `/var/lib/docker/volumes/${v.name}/_data`,
        Destination: v.path,
        Driver: "local",
        Mode: "z",
        RW: true,
      })),
    };
    return observedContainer(summary);
  });
  const volumes = resolved.volumes.map((volume) => ({
    name: volume.name,
    driver: volume.driver,
    options: { ...volume.driver_options },
    labels: { [LABEL.map]: resolved.name, [LABEL.kind]: "volume", [LABEL.alias]: volume.key },
    mapName: resolved.name,
  }));
  const state: ObservedClient = {
    client: client.name,
    containers,
    volumes,
    networks: [
      {
        id: hex("bridge"),
        name: "bridge",
        driver: "bridge",
        options: {},
        internal: false,
        labels: {},
        mapName: undefined,
      },
    ],
    images: { [IMAGE]: IMAGE_ID },
  };
  return { clients: { [client.name]: state } };
}

/** An engine with nothing of the map on it (only the image): what `startup` plans from. */
export function emptyObservedState(): ObservedState {
  const client = defaultClientContext();
  return {
    clients: {
      [client.name]: {
        client: client.name,
        containers: [],
        volumes: [],
        networks: [],
        images: { [IMAGE]: IMAGE_ID },
      },
    },
  };
}
