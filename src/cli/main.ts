import { Command, CommanderError, Option } from "commander";
import { isBerthError } from "../common/berth-error.js";
import { isMapError } from "../map/map-error.js";
import { PLAN_ACTIONS } from "../plan/plan-types.js";
import { BERTH_VERSION } from "../version.js";
import {
  commandOf,
  GLOBAL_OPTIONS,
  hasOption,
  HELP_FLAGS,
  namesOf,
  optionValue,
  VERSION_FLAGS,
  type GlobalOptionSpec,
} from "./argv.js";
import { processIo, type CliIo } from "./cli-io.js";
import { cleanupCommand } from "./commands/cleanup-command.js";
import { pushCommand } from "./commands/push-command.js";
import { configCommand, graphCommand, validateCommand } from "./commands/map-commands.js";
import { applyCommand, buildCommand, planCommand, runCommands } from "./commands/run-commands.js";
import { logsCommand, statusCommand } from "./commands/status-commands.js";
import { completionCommand } from "./commands/completion-command.js";
import { EXIT } from "./exit-codes.js";
import { guardUnfinishedRun } from "./exit-guard.js";
import type { PrefetchedLists } from "./prefetch.js";

export { EXIT };

/** Errors on stderr: as text, or (`--progress json`) as one JSON event per message. */
function errorWriter(io: CliIo, json: boolean): (text: string) => unknown {
  if (!json) return (text) => io.stderr.write(text);
  return (text) =>
    io.stderr.write(`${JSON.stringify({ type: "error", time: Date.now(), message: text.trim() })}\n`);
}

/** Whether the command line asks for machine-readable progress (every stderr line JSON). */
export function progressOf(argv: readonly string[]): string | undefined {
  return optionValue(argv, "--progress <mode>");
}

export function buildProgram(io: CliIo, options: { jsonErrors?: boolean } = {}): Command {
  const writeErr = errorWriter(io, options.jsonErrors === true);
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
      writeErr,
    })
    .showHelpAfterError("(run with --help for usage)")
    // Global options are the program's before the command, and copies of them after it (below):
    // so a command can give one of their short names its own meaning (`logs -f` is --follow).
    .enablePositionalOptions()
    .configureHelp({ showGlobalOptions: true })
    .exitOverride();
  const commands = [
    validateCommand(io),
    configCommand(io),
    graphCommand(io),
    buildCommand(io),
    pushCommand(io),
    planCommand(io),
    ...runCommands(io),
    applyCommand(io),
    cleanupCommand(io),
    statusCommand(io),
    logsCommand(io),
    completionCommand(io, () => program),
  ];
  for (const command of commands) {
    addGlobalOptionCopies(command);
    command.configureHelp({ showGlobalOptions: true });
    program.addCommand(
      command.exitOverride().configureOutput({
        writeOut: (text) => io.stdout.write(text),
        writeErr,
      }),
    );
  }
  return program;
}

function globalOption(spec: GlobalOptionSpec, flags = spec.flags): Option {
  const option = new Option(flags, spec.description);
  if (spec.choices !== undefined) option.choices(spec.choices);
  if (spec.default !== undefined) option.default(spec.default);
  if (spec.repeatable) option.argParser(collect);
  return option;
}

/**
 * The global options, accepted after the command too (`berth plan -f map.yaml`), hidden from the
 * command's help (which shows the program's). Without defaults, so that a value given before the
 * command is not overridden by a copy's default; without a short name the command uses itself.
 */
function addGlobalOptionCopies(command: Command): void {
  const taken = new Set(command.options.flatMap((o) => [o.short, o.long]).filter((n) => n !== undefined));
  for (const spec of Object.values<GlobalOptionSpec>(GLOBAL_OPTIONS)) {
    const names = namesOf(spec.flags);
    if (names.some((name) => name.startsWith("--") && taken.has(name))) continue;
    const value = /<[^>]*>/.exec(spec.flags)?.[0];
    const kept = names.filter((name) => !taken.has(name)).join(", ");
    const option = globalOption({ ...spec, default: undefined }, value ? `${kept} ${value}` : kept);
    command.addOption(option.hideHelp());
  }
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Runs the CLI; returns the exit code. Never throws and never prints a stack trace for a known error. */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const jsonErrors = progressOf(argv) === "json";
  const program = buildProgram(io, { jsonErrors });
  try {
    await program.parseAsync(argv, { from: "user" });
    // Commands leave their exit code as an option value (2 for changes, 1 for failed steps, 130).
    const invoked = program.commands.find((c) => c.getOptionValue("exitCode") !== undefined);
    return (invoked?.getOptionValue("exitCode") as number | undefined) ?? EXIT.ok;
  } catch (err) {
    return jsonErrors ? reportErrorAsJson(err, io) : reportError(err, io);
  }
}

/** reportError's JSON form (`--progress json`): one event, the message and hint apart. */
function reportErrorAsJson(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.error;
  const event: Record<string, unknown> = { type: "error", time: Date.now() };
  if (isMapError(err)) {
    event.message = err.message;
    event.problems = err.problems.length;
    event.changed = false;
  } else if (isBerthError(err)) {
    event.message = err.message;
    if (err.hint) event.hint = err.hint;
  } else {
    event.message = `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
  }
  io.stderr.write(`${JSON.stringify(event)}\n`);
  return EXIT.error;
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
    const notice = interruptNotice(argv);
    if (notice !== undefined) process.stderr.write(notice);
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

/** The commands that apply steps: a Ctrl-C lets their running steps finish, and says so. */
const APPLYING_COMMANDS: ReadonlySet<string> = new Set([...PLAN_ACTIONS, "apply"]);

/**
 * What the first Ctrl-C writes on stderr: for a run that applies steps, that they are let finish
 * (a JSON event with `--progress json`; nothing with `--progress quiet`). Other commands (`logs
 * --follow`, a plan) just stop, quietly.
 */
function interruptNotice(argv: readonly string[]): string | undefined {
  const command = commandOf(argv);
  if (command === undefined || !APPLYING_COMMANDS.has(command) || hasOption(argv, "--dry-run"))
    return undefined;
  const progress = progressOf(argv);
  if (progress === "quiet") return undefined;
  const message = "interrupt: letting running steps finish (Ctrl-C again to exit now)";
  return progress === "json"
    ? `${JSON.stringify({ type: "interrupt", time: Date.now(), message })}\n`
    : `\n${message}\n`;
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
