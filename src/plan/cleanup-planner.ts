import { LABEL } from "../model/labels.js";

/*
 * The parts of the engine's container and image lists cleanup reads, in the engine's own shape
 * (the engine's list entries fit them). Declared here: the planner does not depend on the engine.
 */
type LabelSet = Readonly<Record<string, string>> | null | undefined;
export interface ListedContainer {
  Id: string;
  Names: readonly string[];
  State: string;
  ImageID: string;
  Labels?: LabelSet;
}
export interface ListedImage {
  Id: string;
  RepoTags: readonly string[] | null;
  Size: number;
  Labels?: LabelSet;
}

/** One object `berth cleanup` removes, and why. */
export interface CleanupItem {
  client: string;
  kind: "container" | "image";
  id: string;
  /** Container name, or the image's short id. */
  name: string;
  reason: string;
  /** Bytes an image takes (0 for a container: its layer is small and not reported by the list). */
  size: number;
}

export interface CleanupInput {
  mapName: string;
  client: string;
  /** Names of the containers the map has on this client. */
  wanted: ReadonlySet<string>;
  /** Every container on the engine (not only the map's): an image one of them uses is kept. */
  containers: readonly ListedContainer[];
  images: readonly ListedImage[];
  containersToo: boolean;
  imagesToo: boolean;
}

/** States of a container that has run and ended: never one that is being made or running. */
const ENDED = new Set(["exited", "dead"]);

/**
 * Pure: what `berth cleanup` removes on one engine. Containers: the map's (by its labels, kind
 * container), ended, not one a recreate is making (`berth.replaces`), whose name the map no longer
 * has. Images: dangling (no tag) images labelled with the map (left by rebuilds), that no container
 * still uses once the containers above are gone. Nothing without the map's label.
 */
export function planCleanup(input: CleanupInput): CleanupItem[] {
  const out: CleanupItem[] = [];
  const removed = new Set<string>();
  if (input.containersToo) {
    for (const container of input.containers) {
      const labels = container.Labels ?? {};
      if (labels[LABEL.map] !== input.mapName || labels[LABEL.kind] !== "container") continue;
      if (labels[LABEL.replaces] !== undefined || !ENDED.has(container.State)) continue;
      const name = (container.Names[0] ?? container.Id).replace(/^\//, "");
      if (input.wanted.has(name)) continue;
      removed.add(container.Id);
      out.push({
        client: input.client,
        kind: "container",
        id: container.Id,
        name,
        reason: `${container.State}, no longer in the map`,
        size: 0,
      });
    }
  }
  if (input.imagesToo) {
    const inUse = new Set(input.containers.filter((c) => !removed.has(c.Id)).map((c) => c.ImageID));
    for (const image of input.images) {
      if (image.Labels?.[LABEL.map] !== input.mapName || !isDangling(image) || inUse.has(image.Id)) continue;
      out.push({
        client: input.client,
        kind: "image",
        id: image.Id,
        name: image.Id.replace(/^sha256:/, "").slice(0, 12),
        reason: "dangling (untagged by a rebuild), built for the map",
        size: image.Size,
      });
    }
  }
  return out;
}

function isDangling(image: ListedImage): boolean {
  return (image.RepoTags ?? []).every((tag) => tag === "<none>:<none>");
}
