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

describe("placement: an engine per instance", () => {
  const MAP = `name: t
clients: [e2, e3]
web:
  image: x
  instances: [a, b, c]
  placement: {a: e2, b: e3}
`;

  it("puts each placed instance on its client only; the others on the config's clients", () => {
    const map = load(MAP);
    expect(Object.fromEntries(map.resolved.containers.map((c) => [c.key, c.clients]))).toEqual({
      "web.a": ["e2"],
      "web.b": ["e3"],
      "web.c": ["e2", "e3"],
    });
  });

  it("inherits through extends, entry by entry", () => {
    const map = load(`${MAP}api:\n  extends: web\n  placement: {c: e3}\n`);
    const api = map.resolved.containers.filter((c) => c.config === "api");
    expect(Object.fromEntries(api.map((c) => [c.key, c.clients]))).toEqual({
      "api.a": ["e2"],
      "api.b": ["e3"],
      "api.c": ["e3"],
    });
  });

  it("refuses an instance the config does not have and a client the map does not have, where written", () => {
    expect(
      problems(
        "name: t\nclients: [e2, e3]\nweb:\n  image: x\n  instances: [a]\n  placement:\n    b: e2\n    a: e9\n",
      ),
    ).toEqual([
      "7:8: placement names instance `b`, which the config does not have",
      "8:8: unknown client `e9` in placement",
    ]);
  });

  it("refuses a link from an instance on one engine to one on another", () => {
    expect(problems(`${MAP}side:\n  image: x\n  clients: e3\n  links: web.a\n`)).toEqual([
      "10:10: `side` links to `web.a` across engines: `side` runs on client `e3`, `web.a` on `e2` only",
    ]);
  });
});
