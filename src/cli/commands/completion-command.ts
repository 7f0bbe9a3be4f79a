import { Argument, Command } from "commander";
import type { CliIo } from "../cli-io.js";

/**
 * `berth completion bash|zsh|fish`: a shell completion script made from the CLI's own tables
 * (its commands, their options and the options' choices), so it cannot fall behind them.
 */
export function completionCommand(io: CliIo, program: () => Command): Command {
  return new Command("completion")
    .description('print a shell completion script: eval "$(berth completion bash)", or save it')
    .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh", "fish"]))
    .action((shell: "bash" | "zsh" | "fish") => {
      const table = completionTable(program());
      io.stdout.write(
        shell === "bash" ? bashScript(table) : shell === "zsh" ? zshScript(table) : fishScript(table),
      );
    });
}

interface OptionEntry {
  names: string[];
  description: string;
  choices: string[];
  takesValue: boolean;
}

interface CompletionTable {
  globals: OptionEntry[];
  commands: { name: string; description: string; options: OptionEntry[] }[];
}

function optionsOf(command: Command, withHidden: boolean): OptionEntry[] {
  return command.options
    .filter((o) => withHidden || !(o as unknown as { hidden?: boolean }).hidden)
    .map((o) => ({
      names: [o.short, o.long].filter((n): n is string => n !== undefined),
      description: o.description,
      choices: o.argChoices ?? [],
      takesValue: o.required || o.optional,
    }));
}

export function completionTable(program: Command): CompletionTable {
  return {
    globals: optionsOf(program, false),
    commands: program.commands.map((c) => ({
      name: c.name(),
      description: c.description(),
      // The command's own options; the global ones (hidden copies) are completed from `globals`.
      options: optionsOf(c, false),
    })),
  };
}

const quote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;

function bashScript(table: CompletionTable): string {
  const names = (options: OptionEntry[]) => options.flatMap((o) => o.names).join(" ");
  const choiceCases = [...table.globals, ...table.commands.flatMap((c) => c.options)]
    .filter((o) => o.choices.length > 0)
    .map(
      (o) =>
        `    ${o.names.join("|")}) COMPREPLY=($(compgen -W ${quote(o.choices.join(" "))} -- "$cur")); return ;;`,
    );
  const uniqueCases = [...new Set(choiceCases)];
  const commandCases = table.commands.map(
    (c) => `    ${c.name}) opts=${quote(`${names(c.options)} ${names(table.globals)}`)} ;;`,
  );
  return `# berth completion for bash: eval "$(berth completion bash)"
_berth() {
  local cur prev cmd opts i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
${uniqueCases.join("\n")}
    -f|--file|--env-file|--clients|--out) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      ${table.commands.map((c) => c.name).join("|")}) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  opts=${quote(names(table.globals))}
  case "$cmd" in
${commandCases.join("\n")}
    "") if [[ "$cur" != -* ]]; then COMPREPLY=($(compgen -W ${quote(table.commands.map((c) => c.name).join(" "))} -- "$cur")); return; fi ;;
  esac
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -o default -F _berth berth
`;
}

function zshScript(table: CompletionTable): string {
  const spec = (o: OptionEntry) => {
    const description = o.description.replace(/[[\]:'\\]/g, " ").slice(0, 80);
    const value = o.takesValue
      ? `:value:${o.choices.length > 0 ? `(${o.choices.join(" ")})` : "_files"}`
      : "";
    return o.names.map((n) => `      ${quote(`${n}[${description}]${value}`)}`).join(" \\\n");
  };
  const commandCases = table.commands.map(
    (c) =>
      `    ${c.name})\n      _arguments -s \\\n${[...c.options, ...table.globals].map(spec).join(" \\\n")} \\\n      '*:target:' ;;`,
  );
  return `#compdef berth
# berth completion for zsh: put it in a folder of $fpath as _berth, or eval "$(berth completion zsh)"
_berth() {
  local -a commands
  commands=(
${table.commands.map((c) => `    ${quote(`${c.name}:${c.description.replace(/:/g, " ")}`)}`).join("\n")}
  )
  local line state
  _arguments -C \\
${table.globals.map(spec).join(" \\\n")} \\
    '1:command:->command' \\
    '*::arg:->args'
  case $state in
    command) _describe 'berth command' commands ;;
    args)
      case $line[1] in
${commandCases.join("\n")}
      esac ;;
  esac
}
compdef _berth berth
`;
}

function fishScript(table: CompletionTable): string {
  const line = (o: OptionEntry, condition: string) => {
    const parts = [`complete -c berth ${condition}`];
    for (const n of o.names) parts.push(n.startsWith("--") ? `-l ${n.slice(2)}` : `-s ${n.slice(1)}`);
    if (o.takesValue) parts.push(o.choices.length > 0 ? `-x -a ${quote(o.choices.join(" "))}` : "-r");
    parts.push(`-d ${quote(o.description.slice(0, 80))}`);
    return parts.join(" ");
  };
  const names = table.commands.map((c) => c.name).join(" ");
  return `# berth completion for fish: berth completion fish > ~/.config/fish/completions/berth.fish
complete -c berth -f
${table.commands.map((c) => `complete -c berth -n ${quote(`not __fish_seen_subcommand_from ${names}`)} -a ${c.name} -d ${quote(c.description.slice(0, 80))}`).join("\n")}
${table.globals.map((o) => line(o, "")).join("\n")}
${table.commands.flatMap((c) => c.options.map((o) => line(o, `-n ${quote(`__fish_seen_subcommand_from ${c.name}`)}`))).join("\n")}
`;
}
