import { Command, CommanderError } from "commander";
import { BERTH_VERSION } from "../version.js";

/** Runs the CLI with the given arguments; returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = new Command("berth")
    .description("Declarative container maps for Docker: validate, plan and apply.")
    .version(BERTH_VERSION, "-V, --version")
    .exitOverride();
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 1;
    throw err;
  }
}
