import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadMap, MapError, type LoadedMap } from "../../../src/load-map.js";
import { printMapJson, printMapYaml } from "../../../src/map/print-map.js";
import { MAP_CWD, MAP_ENV, MAP_NAME, validMapArbitrary } from "../../helpers/map-arbitraries.js";

/**
 * normalize → print → load is a fixed point: a printed normalized map loads back to the same
 * normalized map and the same resolved desired state, whatever short forms the original used.
 */

function load(text: string): LoadedMap {
  return loadMap({
    files: ["m.yaml"],
    texts: { "m.yaml": text },
    env: MAP_ENV,
    mapName: MAP_NAME,
    cwd: MAP_CWD,
  });
}

/** Loads a printed map and checks it gives back the map it was printed from. */
function expectSameMap(printed: string, first: LoadedMap): LoadedMap {
  const second = load(printed);
  expect(second.normalized).toEqual(first.normalized);
  expect(second.resolved).toEqual(first.resolved);
  return second;
}

// A failing property shrinks for a long time (each step loads maps): the time limit bounds it.
const RUNS = { numRuns: 100, interruptAfterTimeLimit: 6_000 };

// Each property loads a few hundred maps; a failing one also shrinks (bounded by RUNS' time limit).
describe("map round trip (property)", { timeout: 30_000 }, () => {
  it("every generated map loads", () => {
    fc.assert(
      fc.property(validMapArbitrary(), (map) => {
        load(map.text);
      }),
      RUNS,
    );
  });

  it("printing the normalized map as YAML and loading it again gives the same map", () => {
    fc.assert(
      fc.property(validMapArbitrary(), (map) => {
        const first = load(map.text);
        const printed = printMapYaml(first.normalized);
        const second = expectSameMap(printed, first);
        // Once printed, printing is stable (key order settles in the first print).
        const reprinted = printMapYaml(second.normalized);
        expect(printMapYaml(load(reprinted).normalized)).toBe(reprinted);
      }),
      RUNS,
    );
  });

  it("printing the normalized map as JSON and loading it again gives the same map", () => {
    fc.assert(
      fc.property(validMapArbitrary(), (map) => {
        const first = load(map.text);
        expectSameMap(printMapJson(first.normalized), first);
      }),
      RUNS,
    );
  });

  it("the printed map with the resolved instances under x-berth loads to the same map", () => {
    fc.assert(
      fc.property(validMapArbitrary(), (map) => {
        const first = load(map.text);
        expectSameMap(printMapYaml(first.normalized, first.resolved), first);
        expectSameMap(printMapJson(first.normalized, first.resolved), first);
      }),
      // The resolved section makes these files several times larger: fewer runs.
      { ...RUNS, numRuns: 50 },
    );
  });
});

/**
 * Minimal counterexamples the properties found. Each is a valid map (the schema accepts it)
 * that does not survive normalize → print → load, or that loadMap cannot load.
 */
describe("map round trip counterexamples", () => {
  const roundTrips: [string, string][] = [
    // Empty lists and mappings are pruned when printing, though they are not defaults there.
    ["an exec command with an empty argument list", "web:\n  exec_commands: {cmd: []}\n"],
    ["an empty command", "web:\n  command: []\n"],
    ["an empty command string", "web:\n  entrypoint: ''\n"],
    ["an empty list of clients", "clients: []\nweb: {}\n"],
    ["an empty group", "groups:\n  g: []\nweb: {}\n"],
    ["an empty host_config list", "web:\n  host_config: {ulimits: []}\n"],
    ["an empty host_config mapping", "web:\n  host_config: {sysctls: {}}\n"],
    ["an empty log_config", "web:\n  host_config: {log_config: {}}\n"],
    ["an empty health-check test", "web:\n  healthcheck: {test: []}\n"],
    ["an empty ipam", "networks:\n  n: {create_options: {ipam: {}}}\nweb: {networks: n}\n"],
    [
      "empty volume labels",
      "volumes:\n  v: {default_path: /d, create_options: {labels: {}}}\nweb: {attaches: v}\n",
    ],
    // The port pattern accepts these strings; as numbers they are outside the port range.
  ];

  // Ports written as strings are held to the same range as numbers (1–65535), so what loads
  // always prints back in range.
  it.each([
    ["an exposed port written '0'", "web:\n  exposes: '0'\n"],
    ["an exposed port written '99999'", "web:\n  exposes: ['99999']\n"],
    ["a host port written '0'", "web:\n  exposes: [[80, '0']]\n"],
  ])("%s is rejected with a MapError", (_name, text) => {
    expect(() => load(text)).toThrow(MapError);
  });

  it.each(roundTrips)("%s survives print → load (YAML and JSON)", (_name, text) => {
    const first = load(text);
    expectSameMap(printMapYaml(first.normalized), first);
    expectSameMap(printMapJson(first.normalized), first);
  });

  it("a literal `${` in a resolved value survives print → load with x-berth", () => {
    const first = load("web:\n  environment: {A: 'a$${b}'}\n");
    expect(first.resolved.containers[0]?.environment).toEqual({ A: "a${b}" });
    expectSameMap(printMapYaml(first.normalized), first);
    expectSameMap(printMapYaml(first.normalized, first.resolved), first);
  });

  it.each([
    [
      "a size in KiB written `1Ki` (the schema's pattern accepts it)",
      "web:\n  host_config: {mem_limit: 1Ki}\n",
    ],
    ["an exec command with an unclosed quote", 'web:\n  exec_commands: "echo \'oops"\n'],
  ])("%s loads or is reported as a MapError, never a crash", (_name, text) => {
    let thrown: unknown;
    try {
      load(text);
    } catch (err) {
      thrown = err;
    }
    if (thrown !== undefined) expect(thrown).toBeInstanceOf(MapError);
  });
});
