import { describe, expect, it } from "vitest";
import { OBSERVING_COMMANDS, observesDefaultEngine } from "../../../src/cli/early-start.js";
import { buildProgram } from "../../../src/cli/main.js";
import { compareText } from "../../../src/common/text.js";
import { defaultSocketPath } from "../../../src/engine/early-lists.js";

const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {}, cwd: "/" };

describe("observesDefaultEngine (the executable's early start)", () => {
  it("knows exactly the commands that observe the engine first thing", () => {
    const all = buildProgram(io).commands.map((c) => c.name());
    const observing = all.filter((name) => observesDefaultEngine([name]));
    // plan and the run commands (see run-commands.ts); validate, config, graph, apply, status
    // and logs do not observe the default engine before the map is loaded.
    expect(new Set(observing)).toEqual(OBSERVING_COMMANDS);
    expect(all).toEqual(expect.arrayContaining([...OBSERVING_COMMANDS]));
    for (const name of ["validate", "config", "graph", "apply", "status", "logs"]) {
      expect(all).toContain(name);
      expect(observesDefaultEngine([name])).toBe(false);
    }
  });

  it.each([
    [["-f", "m.yaml", "update"], true],
    [["--file", "m.yaml", "--file=n.yaml", "-fo.yaml", "plan", "--json"], true],
    [["--map-name", "x", "--log-level", "info", "--log-format=json", "startup", "web"], true],
    [["--no-cache", "shutdown"], true],
    // an option's value is not the command
    [["-f", "plan", "validate"], false],
    [["--map-name", "update"], false],
    [["validate", "plan"], false],
    [["--clients", "c.yaml", "plan"], false],
    [["plan", "--clients=c.yaml"], false],
    [["update", "--help"], false],
    [["-V"], false],
    [["--unknown-option", "plan"], false],
    [["--", "plan"], false],
    [[], false],
  ])("%j → %s", (argv, expected) => {
    expect(observesDefaultEngine(argv)).toBe(expected);
  });
});

describe("defaultSocketPath", () => {
  it("is DOCKER_HOST's socket, the default one, or none for other transports", () => {
    expect(defaultSocketPath({ DOCKER_HOST: "unix:///run/x.sock" })).toBe("/run/x.sock");
    expect(defaultSocketPath({ DOCKER_HOST: "tcp://10.0.0.1:2375" })).toBeUndefined();
    expect(defaultSocketPath({ DOCKER_HOST: "ssh://me@host" })).toBeUndefined();
    expect(defaultSocketPath({ HOME: "/nonexistent-home" })).toMatch(/docker\.sock$/);
    expect(defaultSocketPath({ DOCKER_HOST: "unix://" })).toMatch(/docker\.sock$/);
  });
});

describe("compareText", () => {
  it("orders by code units, the same everywhere", () => {
    const sorted = ["web_1", "Web", "web-2", "web", "db.1", "db"].sort(compareText);
    expect(sorted).toEqual(["Web", "db", "db.1", "web", "web-2", "web_1"]);
    expect(compareText("a", "a")).toBe(0);
  });
});
