import { describe, expect, it } from "vitest";
import type { ContainerSummary, ImageSummary } from "../../../src/engine/engine-types.js";
import { planCleanup } from "../../../src/plan/cleanup-planner.js";

/** Issue 16, `berth cleanup`: only the map's ended orphans and its dangling, unused images. */
const container = (
  name: string,
  state: string,
  labels: Record<string, string>,
  image = "sha256:img",
): ContainerSummary => ({
  Id: `id-${name}`,
  Names: [`/${name}`],
  Image: image,
  ImageID: image,
  Created: 0,
  Labels: labels,
  State: state,
  Status: "",
});
const image = (id: string, tags: string[] | null, labels: Record<string, string> = {}): ImageSummary => ({
  Id: id,
  RepoTags: tags,
  Created: 0,
  Size: 1000,
  Labels: labels,
});
const mine = { "berth.map": "m", "berth.kind": "container" };

describe("planCleanup", () => {
  it("takes ended orphans of the map and its unused dangling images, nothing else", () => {
    const items = planCleanup({
      mapName: "m",
      client: "default",
      wanted: new Set(["m.web"]),
      containers: [
        container("m.old", "exited", mine, "sha256:dangling-used-by-old"),
        container("m.dead", "dead", mine),
        container("m.web", "exited", mine),
        container("m.running", "running", mine),
        container("m.new", "created", mine),
        container("m.x_berth-new", "exited", { ...mine, "berth.replaces": "m.x" }),
        container("m-lock", "exited", { "berth.map": "m", "berth.kind": "lock" }),
        container("other.old", "exited", { "berth.map": "other", "berth.kind": "container" }),
        container("foreign", "exited", {}, "sha256:dangling-used"),
      ],
      images: [
        image("sha256:dangling-used-by-old", ["<none>:<none>"], { "berth.map": "m" }),
        image("sha256:dangling-used", null, { "berth.map": "m" }),
        image("sha256:dangling-free", [], { "berth.map": "m" }),
        image("sha256:tagged", ["m/web:1"], { "berth.map": "m" }),
        image("sha256:other-map", null, { "berth.map": "other" }),
        image("sha256:unlabelled", null),
      ],
      containersToo: true,
      imagesToo: true,
    });
    expect(items.map((i) => `${i.kind} ${i.name}`)).toEqual([
      "container m.old",
      "container m.dead",
      "image dangling-use",
      "image dangling-fre",
    ]);
  });

  it("keeps an image a remaining container uses when containers are left alone", () => {
    const items = planCleanup({
      mapName: "m",
      client: "default",
      wanted: new Set(),
      containers: [container("m.old", "exited", mine, "sha256:d")],
      images: [image("sha256:d", null, { "berth.map": "m" })],
      containersToo: false,
      imagesToo: true,
    });
    expect(items).toEqual([]);
  });
});
