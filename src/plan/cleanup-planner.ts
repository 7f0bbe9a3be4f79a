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
  /** Seconds since the epoch. */
  Created?: number;
  Labels?: LabelSet;
  Mounts?: readonly { Type: string; Name?: string }[] | null;
}
export interface ListedVolume {
  Name: string;
  Labels: LabelSet;
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
  kind: "container" | "image" | "volume";
  id: string;
  /** Container name, or the image's short id. */
  name: string;
  reason: string;
  /**
   * Bytes removing it frees: an image's size from the image list; a container's writable layer
   * and a volume's contents are measured by cleanup() (0 here); -1 when the engine cannot tell.
   */
  size: number;
  /** Removed even while it runs: a helper of a run that is gone may still be running. */
  force?: true;
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
  /**
   * berth's own leftovers too (temporary `_berth-new` containers of an interrupted recreate, volume
   * helpers): only when no run of the map can be making them, i.e. the cleanup holds the map's
   * lock (or, in a dry run, no live run holds it).
   */
  leftoversToo?: boolean;
  /** `--volumes`: the map's named volumes the current map does not have. */
  volumesToo?: boolean;
  /** The map's volumes on this client (by the map's label). */
  volumes?: readonly ListedVolume[];
  /** Docker names of the volumes the current map has: never removed. */
  mapVolumes?: ReadonlySet<string>;
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
  if (input.leftoversToo === true) {
    for (const item of leftovers(input)) {
      removed.add(item.id);
      out.push(item);
    }
  }
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
  if (input.volumesToo === true) out.push(...orphanVolumes(input, removed));
  return out;
}

/**
 * berth's own containers no run is using (the caller makes sure none runs): volume helpers, and
 * temporary containers of an interrupted recreate that the next update would remove too — those
 * whose final name a container of the map holds, or that a newer temporary for the same name
 * supersedes. The newest temporary of a container that is gone is kept: the next update renames
 * it (it may carry the anonymous volumes of the container it replaced).
 */
function leftovers(input: CleanupInput): CleanupItem[] {
  const ours = input.containers.filter((c) => c.Labels?.[LABEL.map] === input.mapName);
  const names = new Set(ours.map(nameOf));
  const newest = new Map<string, ListedContainer>();
  for (const c of ours) {
    const target = temporaryFor(c);
    if (target === undefined) continue;
    const known = newest.get(target);
    if (known === undefined || (c.Created ?? 0) > (known.Created ?? 0)) newest.set(target, c);
  }
  const out: CleanupItem[] = [];
  const item = (c: ListedContainer, reason: string): CleanupItem => ({
    client: input.client,
    kind: "container",
    id: c.Id,
    name: nameOf(c),
    reason,
    size: 0,
  });
  for (const c of ours) {
    const kind = c.Labels?.[LABEL.kind];
    if (kind === "helper") {
      out.push({ ...item(c, "volume helper left by a run that is gone"), force: true });
      continue;
    }
    const target = temporaryFor(c);
    if (target === undefined) continue;
    if (names.has(target)) out.push(item(c, `left by an interrupted recreate of ${target}, which exists`));
    else if (newest.get(target) !== c)
      out.push(item(c, `left by an interrupted recreate of ${target}; a newer one replaces it`));
  }
  return out;
}

/** The final name a container still under its temporary name (`…_berth-new`) replaces. */
function temporaryFor(c: ListedContainer): string | undefined {
  const target = c.Labels?.[LABEL.replaces];
  if (c.Labels?.[LABEL.kind] !== "container" || target === undefined || target === nameOf(c))
    return undefined;
  return target;
}

function nameOf(c: ListedContainer): string {
  const name = c.Names.find((n) => n.lastIndexOf("/") === 0) ?? c.Names[0] ?? c.Id;
  return name.replace(/^\//, "");
}

/**
 * `--volumes`: the map's named volumes (by its label) that the current map does not have (a
 * config or volume taken out of it), and that no container on the engine mounts, whoever's.
 */
function orphanVolumes(input: CleanupInput, removed: ReadonlySet<string>): CleanupItem[] {
  const mounted = new Map<string, string>();
  for (const c of input.containers) {
    if (removed.has(c.Id)) continue;
    for (const m of c.Mounts ?? [])
      if (m.Type === "volume" && m.Name !== undefined) mounted.set(m.Name, nameOf(c));
  }
  const out: CleanupItem[] = [];
  for (const volume of input.volumes ?? []) {
    if (volume.Labels?.[LABEL.map] !== input.mapName || input.mapVolumes?.has(volume.Name) === true) continue;
    if (mounted.has(volume.Name)) continue;
    out.push({
      client: input.client,
      kind: "volume",
      id: volume.Name,
      name: volume.Name,
      reason: "named volume of the map that the map no longer has, mounted by no container (--volumes)",
      size: 0,
    });
  }
  return out;
}

function isDangling(image: ListedImage): boolean {
  return (image.RepoTags ?? []).every((tag) => tag === "<none>:<none>");
}
