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

  it("berth's leftovers only when asked: helpers, and temporaries the next update would not adopt", () => {
    const temporary = (name: string, replaces: string, created: number, labels = mine) => ({
      ...container(name, "created", { ...labels, "berth.replaces": replaces }),
      Created: created,
    });
    const input = {
      mapName: "m",
      client: "default",
      wanted: new Set(["m.web", "m.db"]),
      containers: [
        container("m.web", "running", mine),
        temporary("m.web_berth-new", "m.web", 5),
        // m.db is gone: its newest temporary is what the next update renames; the older one goes.
        temporary("m.db_berth-new", "m.db", 9),
        temporary("m.db_berth-new-old", "m.db", 3),
        // Renamed already: the container itself, under its final name.
        temporary("m.api", "m.api", 1),
        container("m.berth-helper-1", "running", { "berth.map": "m", "berth.kind": "helper" }),
        container("o.berth-helper-1", "exited", { "berth.map": "o", "berth.kind": "helper" }),
        container("m.x_berth-new", "created", { "berth.replaces": "m.x" }),
        container("berth-lock.m", "created", { "berth.map": "m", "berth.kind": "lock" }),
      ],
      images: [],
      containersToo: true,
      imagesToo: true,
    };
    expect(planCleanup(input)).toEqual([]);
    const items = planCleanup({ ...input, leftoversToo: true });
    expect(items.map((i) => [i.name, i.force ?? false])).toEqual([
      ["m.web_berth-new", false],
      ["m.db_berth-new-old", false],
      ["m.berth-helper-1", true],
    ]);
  });

  it("--volumes: the map's volumes it no longer has, that no remaining container mounts", () => {
    const mounting = (name: string, state: string, labels: Record<string, string>, volume: string) => ({
      ...container(name, state, labels),
      Mounts: [{ Type: "volume", Name: volume }],
    });
    const volume = (name: string, labels: Record<string, string> | null) => ({ Name: name, Labels: labels });
    const input = {
      mapName: "m",
      client: "default",
      wanted: new Set(["m.web"]),
      containers: [
        mounting("m.web", "running", mine, "m.data"),
        mounting("m.old", "exited", mine, "m.old-data"),
        mounting("foreign", "exited", {}, "m.foreign-used"),
      ],
      images: [],
      containersToo: true,
      imagesToo: false,
      volumes: [
        volume("m.data", { "berth.map": "m" }),
        volume("m.declared", { "berth.map": "m" }),
        volume("m.old-data", { "berth.map": "m" }),
        volume("m.foreign-used", { "berth.map": "m" }),
        volume("m.gone", { "berth.map": "m" }),
        volume("m.unlabelled", null),
        volume("o.gone", { "berth.map": "o" }),
      ],
      mapVolumes: new Set(["m.data", "m.declared"]),
    };
    expect(planCleanup(input).filter((i) => i.kind === "volume")).toEqual([]);
    const items = planCleanup({ ...input, volumesToo: true });
    expect(items.map((i) => `${i.kind} ${i.name}`)).toEqual([
      "container m.old",
      "volume m.old-data",
      "volume m.gone",
    ]);
  });
});
