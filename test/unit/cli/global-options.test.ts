import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { globalOptions, type GlobalOptions } from "../../../src/cli/global-options.js";
import { buildProgram } from "../../../src/cli/main.js";

/** The global options `validate` would see for `argv` (its action replaced: nothing is read). */
async function optionsOf(argv: string[]): Promise<GlobalOptions> {
  const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {}, cwd: "/" };
  const program = buildProgram(io);
  let seen: GlobalOptions | undefined;
  const validate = program.commands.find((c) => c.name() === "validate") as Command;
  validate.action((_flags: unknown, command: Command) => {
    seen = globalOptions(command);
  });
  await program.parseAsync(argv, { from: "user" });
  if (seen === undefined) throw new Error("validate did not run");
  return seen;
}

describe("global options after the command", () => {
  it("win over the program's defaults and values given before it (the later word)", async () => {
    expect((await optionsOf(["validate"])).logLevel).toBe("warn");
    expect((await optionsOf(["--log-level", "info", "validate"])).logLevel).toBe("info");
    const after = await optionsOf(["validate", "--log-level", "debug", "--log-format", "json"]);
    expect(after).toMatchObject({ logLevel: "debug", logFormat: "json" });
    const both = await optionsOf([
      "--log-level",
      "info",
      "-H",
      "unix:///a",
      "validate",
      "--log-level",
      "trace",
    ]);
    expect(both).toMatchObject({ logLevel: "trace", host: "unix:///a" });
    expect((await optionsOf(["-H", "unix:///a", "validate", "-H", "unix:///b"])).host).toBe("unix:///b");
  });
});
