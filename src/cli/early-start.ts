import { defaultSocketPath, requestEarlyLists, type EarlyLists } from "../engine/early-lists.js";

/**
 * The first thing the `berth` executable does, before it loads the rest of berth (its own small
 * bundle: node:http and this file): when the command line certainly runs a command that observes
 * the default engine, ask the engine for its four lists now. Loading berth and parsing the map
 * take longer than the engine's answer; started here, the answer is there when berth needs it.
 *
 * Any doubt means no early start (then berth observes as it would anyway): an option this file
 * does not know before the command, `--clients` (the map may not use the default engine at all),
 * help or version, or an engine that is not on a Unix socket.
 */

/** The commands that observe the default engine first thing (see observeEarly). */
export const OBSERVING_COMMANDS: ReadonlySet<string> = new Set([
  "plan",
  "startup",
  "update",
  "shutdown",
  "start",
  "stop",
  "restart",
  "remove",
  "kill",
]);

/** berth's global options that take a value (as `-f FILE`, `--file FILE`, `--file=FILE`, `-fFILE`). */
const WITH_VALUE = new Set(["-f", "--file", "--map-name", "--clients", "--log-level", "--log-format"]);
/** Its global options without a value. */
const FLAGS = new Set(["--no-cache"]);
/** Options after which there is no early start, wherever they are. */
const NOT_EARLY = new Set(["--clients", "-h", "--help", "-V", "--version"]);

/** Whether `argv` (without node and the script) runs a command that observes the default engine. */
export function observesDefaultEngine(argv: readonly string[]): boolean {
  if (argv.some((arg) => NOT_EARLY.has(arg.split("=")[0] ?? arg))) return false;
  const command = commandOf(argv);
  return command !== undefined && OBSERVING_COMMANDS.has(command);
}

/**
 * The command `argv` runs: its first word after berth's global options. Undefined when there is
 * none, or when an option this file does not know comes first (it may take a value).
 */
export function commandOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("-")) return arg;
    if (arg === "--") return undefined;
    const name = arg.startsWith("--") ? (arg.split("=")[0] as string) : arg.slice(0, 2);
    if (WITH_VALUE.has(name)) {
      // The value is in the same argument (`--file=x`, `-fx`) or the next one.
      if (arg === name) i++;
    } else if (!FLAGS.has(arg)) return undefined;
  }
  return undefined;
}

/** Starts the early lists when `argv` and the environment allow it (see above). */
export async function startEarly(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<EarlyLists | undefined> {
  if (!observesDefaultEngine(argv)) return undefined;
  const socketPath = defaultSocketPath(env);
  return socketPath === undefined ? undefined : requestEarlyLists(socketPath);
}
