import { describe, expect, it } from "vitest";
import { loadMap } from "../../../src/load-map.js";
import { isMapError } from "../../../src/map/map-error.js";

function load(text: string) {
  return loadMap({ files: ["map.yaml"], texts: { "map.yaml": text }, env: {} });
}

function problems(text: string): string[] {
  try {
    load(text);
  } catch (err) {
    if (isMapError(err)) return err.problems.map((p) => `${p.at.line}:${p.at.col}: ${p.message}`);
    throw err;
  }
  return [];
}

describe("instance names", () => {
  it("takes whole numbers as instance names, as docker-map formats them", () => {
    const map = load(
      "name: t\nweb:\n  image: x\n  instances: [1, 2]\nsolo:\n  image: x\n  instances: 3\n  links: web.1\n",
    );
    expect(map.resolved.containers.map((c) => c.name)).toEqual(["t.solo.3", "t.web.1", "t.web.2"]);
    expect(map.normalized.containers.web?.instances).toEqual(["1", "2"]);
  });

  it("finds a number and a string that name the same instance", () => {
    expect(problems("name: t\nweb:\n  image: x\n  instances: [1, '1']\n")).toEqual([
      "4:18: duplicate instance `1`",
    ]);
  });

  it("rejects negative and fractional numbers at their position", () => {
    expect(problems("name: t\nweb:\n  image: x\n  instances: [-1, 1.5]\n")).toEqual([
      "4:15: expected a number of at least 0, found -1",
      "4:19: expected an instance name of letters, digits, `_` and `-`, or a whole number, found `1.5`",
    ]);
  });
});
