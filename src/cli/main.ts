import { Command, CommanderError, Option } from "commander";
import { isBerthError } from "../common/berth-error.js";
import { isMapError } from "../map/map-error.js";
import { BERTH_VERSION } from "../version.js";
import { GLOBAL_OPTIONS, HELP_FLAGS, VERSION_FLAGS, type GlobalOptionSpec } from "./argv.js";
import { processIo, type CliIo } from "./cli-io.js";
import { configCommand, graphCommand, validateCommand } from "./commands/map-commands.js";
import { applyCommand, planCommand, runCommands } from "./commands/run-commands.js";
import { logsCommand, statusCommand } from "./commands/status-commands.js";
import { EXIT } from "./exit-codes.js";
import { guardUnfinishedRun } from "./exit-guard.js";
import type { PrefetchedLists } from "./prefetch.js";

export { EXIT };

export function buildProgram(io: CliIo): Command {
  const program = new Command("berth")
    .description(
      "Declarative container maps for Docker: validate, plan and apply docker-map style YAML maps.",
    )
    .version(BERTH_VERSION, VERSION_FLAGS, "print berth's version")
    .helpOption(HELP_FLAGS, "display help for command");
  // From the table the executable reads argv with (argv.ts), so that the two agree.
  for (const spec of Object.values<GlobalOptionSpec>(GLOBAL_OPTIONS)) program.addOption(globalOption(spec));
  program
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

function globalOption(spec: GlobalOptionSpec): Option {
  const option = new Option(spec.flags, spec.description);
  if (spec.choices !== undefined) option.choices(spec.choices);
  if (spec.default !== undefined) option.default(spec.default);
  if (spec.repeatable) option.argParser(collect);
  return option;
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
 * `prefetch`: the engine's lists the executable requested before it loaded the CLI (prefetch.ts).
 */
export async function main(argv: string[], prefetch?: PrefetchedLists): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts > 1) process.exit(EXIT.interrupted);
    process.stderr.write("\ninterrupt: letting running steps finish (Ctrl-C again to exit now)\n");
    controller.abort(new Error("interrupted"));
  };
  process.on("SIGINT", onInterrupt);
  // A reader that stops early (`berth plan --json | head`) closes the pipe: the run goes on to its
  // end (an apply is never cut short by it) and its output is dropped, without a stack trace.
  process.stdout.on("error", ignoreClosedPipe);
  const guard = guardUnfinishedRun(argv);
  try {
    const io = processIo(controller.signal);
    if (prefetch !== undefined) io.prefetch = prefetch;
    const code = await runCli(argv, io);
    // Interrupted is interrupted, also when the interrupt made a wait (the lock) give up with an error.
    return controller.signal.aborted ? EXIT.interrupted : code;
  } finally {
    guard.finished();
    process.off("SIGINT", onInterrupt);
    // A run that ended before reading them (a bad map, a usage error) does not wait for them.
    prefetch?.dispose();
  }
}

function ignoreClosedPipe(err: NodeJS.ErrnoException): void {
  if (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED") return;
  process.stderr.write(`berth: cannot write the output: ${err.message}\n`);
}

/**
 * Ends the process with `code` once stdout and stderr have taken everything written to them,
 * rather than when the event loop runs dry: a run's work is done when main() returns, and the
 * teardown of a process that has loaded berth (a last garbage collection, closing handles) costs
 * a short run tens of milliseconds.
 */
export async function exitWhenWritten(code: number): Promise<never> {
  await Promise.all([written(process.stdout), written(process.stderr)]);
  process.exit(code);
}

/** Resolves when everything written so far has been handed to the system (or the stream failed). */
function written(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => stream.write("", () => resolve()));
}
