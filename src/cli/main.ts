import { Command, CommanderError, Option } from "commander";
import { isBerthError } from "../common/berth-error.js";
import { isMapError } from "../map/map-error.js";
import { BERTH_VERSION } from "../version.js";
import { processIo, type CliIo } from "./cli-io.js";
import { configCommand, graphCommand, validateCommand } from "./commands/map-commands.js";
import { applyCommand, planCommand, runCommands } from "./commands/run-commands.js";
import { logsCommand, statusCommand } from "./commands/status-commands.js";
import { EXIT } from "./exit-codes.js";

export { EXIT };

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
    .option("--clients <file>", "clients file: engine names → base_url, interfaces (docker-map format)")
    .addOption(
      new Option("--log-level <level>", "log level of the logs on stderr")
        .choices(["trace", "debug", "info", "warn", "error", "fatal", "silent"])
        .default("warn"),
    )
    .addOption(
      new Option("--log-format <format>", "log format").choices(["pretty", "json"]).default("pretty"),
    )
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  const commands = [
    validateCommand(io),
    configCommand(io),
    graphCommand(io),
    planCommand(io),
    ...runCommands(io),
    applyCommand(io),
    statusCommand(io),
    logsCommand(io),
  ];
  for (const command of commands) {
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
    // Commands leave their exit code as an option value (2 for changes, 1 for failed steps, 130).
    const invoked = program.commands.find((c) => c.getOptionValue("exitCode") !== undefined);
    return (invoked?.getOptionValue("exitCode") as number | undefined) ?? EXIT.ok;
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

/**
 * The `berth` executable: process streams, and SIGINT handling — the first Ctrl-C stops
 * scheduling new steps and lets running ones end (exit 130); a second one exits at once.
 */
export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts > 1) process.exit(EXIT.interrupted);
    process.stderr.write("\ninterrupt: letting running steps finish (Ctrl-C again to exit now)\n");
    controller.abort(new Error("interrupted"));
  };
  process.on("SIGINT", onInterrupt);
  try {
    const code = await runCli(argv, processIo(controller.signal));
    // Interrupted is interrupted, also when the interrupt made a wait (the lock) give up with an error.
    return controller.signal.aborted ? EXIT.interrupted : code;
  } finally {
    process.off("SIGINT", onInterrupt);
  }
}
