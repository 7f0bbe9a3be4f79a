import { describe, expect, it } from "vitest";
import { PushProgress } from "../../../src/engine/push-progress.js";
import { loadMap } from "../../../src/load-map.js";
import { pushItems } from "../../../src/push.js";

function map(text: string) {
  return loadMap({ files: ["m.yaml"], texts: { "m.yaml": text }, env: {} });
}

const TEXT = `
name: m
app:
  image: reg.example:5000/team/app:1
  build:
    from: base:1
    tags: [reg.example:5000/team/app:latest, other/app:2]
  instances: [a, b]
worker:
  image: reg.example:5000/team/app:1
  build:
    from: base:1
    tags: [reg.example:5000/team/app:latest, other/app:2]
plain:
  image: busybox:1
groups:
  front: [app]
`;

describe("pushItems", () => {
  it("lists each built image and its extra tags once, with its registry; pulled images never", () => {
    expect(pushItems(map(TEXT))).toEqual([
      {
        config: "app",
        image: "reg.example:5000/team/app:1",
        registry: "reg.example:5000",
        client: "default",
      },
      {
        config: "app",
        image: "reg.example:5000/team/app:latest",
        registry: "reg.example:5000",
        client: "default",
      },
      { config: "app", image: "other/app:2", registry: "https://index.docker.io/v1/", client: "default" },
    ]);
  });

  it("keeps to the targets", () => {
    expect(pushItems(map(TEXT), ["worker"]).map((i) => [i.config, i.image])).toEqual([
      ["worker", "reg.example:5000/team/app:1"],
      ["worker", "reg.example:5000/team/app:latest"],
      ["worker", "other/app:2"],
    ]);
    expect(pushItems(map(TEXT), ["plain"])).toEqual([]);
    expect(pushItems(map(TEXT), ["front"])).toHaveLength(3);
  });
});

describe("PushProgress", () => {
  it("passes each status line once, keeps the digest, and takes the stream's error", () => {
    const lines: string[] = [];
    const progress = new PushProgress((line) => lines.push(line));
    for (const event of [
      { status: "The push refers to repository [r/app]" },
      { status: "Preparing", id: "abc" },
      { status: "Pushing", id: "abc", progressDetail: { current: 1 } },
      { status: "Pushing", id: "abc", progressDetail: { current: 2 } },
      { status: "Pushed", id: "abc" },
      { status: "1: digest: sha256:00 size: 527" },
      { aux: { Tag: "1", Digest: "sha256:00", Size: 527 } },
    ])
      progress.add(event);
    expect(lines).toEqual([
      "The push refers to repository [r/app]",
      "abc: Preparing",
      "abc: Pushing",
      "abc: Pushed",
      "1: digest: sha256:00 size: 527",
    ]);
    expect(progress.digest).toBe("sha256:00");
    expect(progress.error).toBeUndefined();
    progress.add({ errorDetail: { message: "unauthorized: authentication required\n" }, error: "x" });
    expect(progress.error).toBe("unauthorized: authentication required");
  });
});
