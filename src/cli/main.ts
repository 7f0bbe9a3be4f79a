import { Command, CommanderError } from "commander";
import { isBerthError } from "../common/berth-error.js";
import { isMapError } from "../map/map-error.js";
import { BERTH_VERSION } from "../version.js";
import { processIo, type CliIo } from "./cli-io.js";
import { configCommand, graphCommand, validateCommand } from "./commands/map-commands.js";

/** Exit codes: 0 success, 1 error, 2 changes present (plan with --detailed-exitcode), 130 interrupted. */
export const EXIT = { ok: 0, error: 1, changes: 2, interrupted: 130 } as const;

export function buildProgram(io: CliIo): Command {
  const program = new Command("berth")
    .description(
      "Declarative container maps for Docker: validate, plan and apply docker-map style YAML maps.",
    )
    .version(BERTH_VERSION, "-V, --version", "print berth's version")
    .option(
      "-f, --file <file>",
      "map file; repeat to merge several (default: berth.yaml or berth.yml)",
      collect,
    )
    .option("--map-name <name>", "map name (default: the map's name key, else the file's base name)")
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  for (const command of [validateCommand(io), configCommand(io), graphCommand(io)]) {
    program.addCommand(
      command.exitOverride().configureOutput({
        writeOut: (text) => io.stdout.write(text),
        writeErr: (text) => io.stderr.write(text),
      }),
    );
  }
  return program;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Runs the CLI; returns the exit code. Never throws and never prints a stack trace for a known error. */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" && io.stdout === process.stdout ? process.exitCode : EXIT.ok;
  } catch (err) {
    return reportError(err, io);
  }
}

export function reportError(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    return err.exitCode === 0 ? EXIT.ok : EXIT.error;
  }
  if (isMapError(err)) {
    io.stderr.write(`${err.message}\n`);
    const count = err.problems.length;
    io.stderr.write(`berth: the map has ${count} problem${count === 1 ? "" : "s"}; nothing was changed\n`);
    return EXIT.error;
  }
  if (isBerthError(err)) {
    io.stderr.write(`berth: ${err.message}${err.hint ? ` (${err.hint})` : ""}\n`);
    return EXIT.error;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(`berth: unexpected error: ${message}\n`);
  if (io.env.BERTH_DEBUG && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
  return EXIT.error;
}
