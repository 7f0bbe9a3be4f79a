/**
 * berth's command-line grammar before the command: its global options, in one table that the CLI
 * (commander, main.ts) declares its options from and that the executable reads argv with before
 * it loads the CLI (executable.ts). Both read the same table, so they cannot disagree about which
 * option takes a value, and therefore about which word is the command.
 *
 * Only data and small functions here: the executable's bundle carries this file (no commander).
 */

export interface GlobalOptionSpec {
  /** commander's flags: the names, and `<value>` when the option takes one. */
  readonly flags: string;
  readonly description: string;
  readonly choices?: readonly string[];
  readonly default?: string;
  /** Given again, the values are collected into a list (`-f a -f b`). */
  readonly repeatable?: boolean;
}

export const GLOBAL_OPTIONS = {
  file: {
    flags: "-f, --file <file>",
    description:
      "map file, `-` for standard input; repeat to merge several (default: BERTH_FILE, else berth.yaml or berth.yml)",
    repeatable: true,
  },
  mapName: {
    flags: "--map-name <name>",
    description: "map name (default: BERTH_MAP_NAME, else the map's name key, else the file's base name)",
  },
  envFile: {
    flags: "--env-file <file>",
    description:
      "variables for ${VAR} in the map; repeat to read several, later ones win (default: .env beside the map)",
    repeatable: true,
  },
  host: {
    flags: "-H, --host <url>",
    description:
      "Docker engine of the default client, as `docker -H`: unix:///path, tcp://host:port, ssh://user@host (default: DOCKER_HOST, else the Docker context)",
  },
  context: {
    flags: "-c, --context <name>",
    description:
      "Docker context of the default client, as `docker --context` (default: DOCKER_CONTEXT, else the docker CLI's current context)",
  },
  clients: {
    flags: "--clients <file>",
    description: "clients file: engine names → base_url, interfaces (docker-map format)",
  },
  cache: {
    flags: "--no-cache",
    description:
      "read and write nothing in berth's cache folder: map files are parsed again (see BERTH_CACHE_DIR)",
  },
  logLevel: {
    flags: "--log-level <level>",
    description: "log level of the logs on stderr",
    choices: ["trace", "debug", "info", "warn", "error", "fatal", "silent"],
    default: "warn",
  },
  logFormat: {
    flags: "--log-format <format>",
    description: "log format",
    choices: ["pretty", "json"],
    default: "pretty",
  },
} as const satisfies Record<string, GlobalOptionSpec>;

/** commander's own options of the program: help and version. */
export const HELP_FLAGS = "-h, --help";
export const VERSION_FLAGS = "-V, --version";

/** The names in commander's flags: `-f, --file <file>` → `-f`, `--file`. */
export function namesOf(flags: string): string[] {
  return flags.split(/[ ,|]+/).filter((word) => word.startsWith("-"));
}

function takesValue(flags: string): boolean {
  return /[<[]/.test(flags);
}

const specs: readonly GlobalOptionSpec[] = Object.values(GLOBAL_OPTIONS);
const WITH_VALUE = new Set(specs.filter((s) => takesValue(s.flags)).flatMap((s) => namesOf(s.flags)));
const FLAGS = new Set(specs.filter((s) => !takesValue(s.flags)).flatMap((s) => namesOf(s.flags)));

/**
 * The command `argv` runs (argv without node and the script): its first word after the global
 * options. Undefined when there is none, or when an option not in GLOBAL_OPTIONS comes first (help,
 * version, a typo: commander reports it).
 */
export function commandOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("-")) return arg;
    // After `--` every word is an operand: commander runs the first one as the command.
    if (arg === "--") return argv[i + 1];
    const name = arg.startsWith("--") ? (arg.split("=")[0] as string) : arg.slice(0, 2);
    if (WITH_VALUE.has(name)) {
      // The value is in the same argument (`--file=x`, `-fx`) or the next one.
      if (arg === name) i++;
    } else if (!FLAGS.has(arg)) return undefined;
  }
  return undefined;
}

/** Whether an option is among the options (before `--`), in any of its names or as `--name=value`. */
export function hasOption(argv: readonly string[], flags: string): boolean {
  const names = new Set(namesOf(flags));
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).some((arg) => names.has(arg.split("=")[0] ?? arg));
}

/**
 * The value of an option among the options (before `--`): its last occurrence, in any of its
 * forms (`--host x`, `--host=x`, `-H x`, `-Hx`). Undefined when it is not given.
 */
export function optionValue(argv: readonly string[], flags: string): string | undefined {
  const names = namesOf(flags);
  const end = argv.indexOf("--");
  const args = end < 0 ? argv : argv.slice(0, end);
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    for (const name of names) {
      if (arg === name) value = args[++i];
      else if (name.startsWith("--") && arg.startsWith(`${name}=`)) value = arg.slice(name.length + 1);
      else if (!name.startsWith("--") && arg.startsWith(name) && arg.length > name.length)
        value = arg.slice(name.length);
    }
  }
  return value;
}
