import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { commandOf, GLOBAL_OPTIONS, namesOf } from "../../../src/cli/argv.js";
import type { CliIo } from "../../../src/cli/cli-io.js";
import { runCommands } from "../../../src/cli/commands/run-commands.js";
import { buildProgram } from "../../../src/cli/main.js";
import { defaultSocketPath, FIRST_LOOK_COMMANDS, prefetches } from "../../../src/cli/prefetch.js";

const io: CliIo = { stdout: { write: () => true }, stderr: { write: () => true }, env: {}, cwd: "/" };

/** The command commander dispatches `argv` to, found without running it; undefined for none. */
function commanderCommand(argv: string[]): string | undefined {
  const program = buildProgram(io);
  let found: string | undefined;
  program.hook("preSubcommand", (_program, command) => {
    found = command.name();
    throw new Error("stop before the command");
  });
  try {
    program.parse(argv, { from: "user" });
  } catch {
    // The hook's stop, or a usage error (then no command ran).
  }
  return found;
}

const commands = buildProgram(io).commands.map((c) => c.name());
const word = fc.constantFrom(...commands, "berth.yaml", "m.yml", "x", "info", "json");
const globalArg: fc.Arbitrary<string[]> = fc.oneof(
  ...Object.values(GLOBAL_OPTIONS).map((spec) => {
    const names = namesOf(spec.flags);
    if (!spec.flags.includes("<")) return fc.constant(names);
    const value = "choices" in spec ? fc.constantFrom(...spec.choices) : word;
    return fc.tuple(fc.constantFrom(...names), value, fc.nat({ max: 2 })).map(([name, v, form]) => {
      // `--name value`, `--name=value`, `-fvalue`
      if (form === 1 && name.startsWith("--")) return [`${name}=${v}`];
      if (form === 2 && !name.startsWith("--")) return [`${name}${v}`];
      return [name, v];
    });
  }),
);

describe("one argv grammar: the executable reads the command as commander does", () => {
  it("finds the command commander runs, after any global options in any of their forms", () => {
    fc.assert(
      fc.property(fc.array(globalArg, { maxLength: 4 }), fc.constantFrom(...commands), (globals, command) => {
        const argv = [...globals.flat(), command];
        expect(commanderCommand(argv)).toBe(command);
        expect(commandOf(argv)).toBe(command);
        // After `--`, too.
        expect(commandOf([...argv.slice(0, -1), "--", command])).toBe(command);
        expect(commanderCommand([...argv.slice(0, -1), "--", command])).toBe(command);
      }),
      { numRuns: 200 },
    );
  });

  it("finds no command where commander runs none", () => {
    for (const argv of [[], ["--"], ["--unknown-option", "plan"], ["-f"], ["-V"], ["--help", "plan"]]) {
      expect(commandOf(argv)).toBeUndefined();
      expect(commanderCommand(argv)).toBeUndefined();
    }
  });
});

describe("prefetches (the executable asks the engine for a first look's lists)", () => {
  it("for exactly plan and the run commands", () => {
    const run = runCommands(io).map((c) => c.name());
    expect(new Set(FIRST_LOOK_COMMANDS)).toEqual(new Set(["plan", ...run]));
    for (const name of commands) expect(prefetches([name])).toBe(FIRST_LOOK_COMMANDS.has(name));
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
    [["apply", "plan.json"], false],
    // the map may not use the default engine at all
    [["--clients", "c.yaml", "plan"], false],
    [["plan", "--clients=c.yaml"], false],
    [["update", "--help"], false],
    [["-V"], false],
    [["--", "plan"], true],
    [[], false],
  ])("%j → %s", (argv, expected) => {
    expect(prefetches(argv)).toBe(expected);
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
