/**
 * Just enough of a Dockerfile's grammar for berth: its instructions with their line numbers (a
 * failed build's `Step N/M` names the Nth, which berth reports as FILE:LINE), and the base images
 * its stages start from (their ids are part of the build's hash).
 */

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, … */
  keyword: string;
  /** The rest of the logical line, continuations joined. */
  args: string;
  /** 1-based line the instruction starts on. */
  line: number;
}

export function parseDockerfile(text: string): Instruction[] {
  const lines = text.split(/\r?\n/);
  const escape = escapeDirective(lines);
  const out: Instruction[] = [];
  let current: { start: number; text: string } | undefined;
  for (const [index, raw] of lines.entries()) {
    const trimmed = raw.trim();
    // Comments and empty lines are skipped, inside a continued instruction too.
    if (trimmed.startsWith("#") || (trimmed === "" && current === undefined)) continue;
    if (trimmed === "") continue;
    const continued = trimmed.endsWith(escape);
    const piece = continued ? trimmed.slice(0, -1) : trimmed;
    current =
      current === undefined
        ? { start: index + 1, text: piece }
        : { ...current, text: `${current.text} ${piece}` };
    if (continued) continue;
    out.push(instructionOf(current.text, current.start));
    current = undefined;
  }
  if (current !== undefined) out.push(instructionOf(current.text, current.start));
  return out;
}

function escapeDirective(lines: readonly string[]): string {
  for (const line of lines) {
    const directive = /^#\s*escape\s*=\s*(\S)\s*$/i.exec(line.trim());
    if (directive) return directive[1] as string;
    if (!/^#\s*\w+\s*=/.test(line.trim())) break;
  }
  return "\\";
}

function instructionOf(text: string, line: number): Instruction {
  const space = text.search(/\s/);
  return space < 0
    ? { keyword: text.toUpperCase(), args: "", line }
    : { keyword: text.slice(0, space).toUpperCase(), args: text.slice(space).trim(), line };
}

/**
 * The images the build starts from, in order, up to the `target` stage: references of FROM
 * lines that are neither an earlier stage's name nor `scratch`. `$ARG` in a FROM line takes the
 * build argument, else the default of an ARG before the first FROM.
 */
export function baseImages(
  instructions: readonly Instruction[],
  args: Readonly<Record<string, string>>,
  target?: string,
): string[] {
  const defaults: Record<string, string> = {};
  const stages = new Set<string>();
  const bases: string[] = [];
  let seenFrom = false;
  for (const instruction of instructions) {
    if (instruction.keyword === "ARG" && !seenFrom) {
      const [name = "", value] = instruction.args.split("=", 2);
      if (value !== undefined) defaults[name.trim()] = unquote(value.trim());
      continue;
    }
    if (instruction.keyword !== "FROM") continue;
    if (seenFrom && target !== undefined && stages.has(target.toLowerCase())) break;
    seenFrom = true;
    const words = instruction.args.split(/\s+/).filter((w) => !w.startsWith("--"));
    const reference = substitute(words[0] ?? "", { ...defaults, ...args });
    const alias = words[1]?.toLowerCase() === "as" ? words[2] : undefined;
    if (reference !== "" && reference !== "scratch" && !stages.has(reference.toLowerCase()))
      if (!bases.includes(reference)) bases.push(reference);
    if (alias !== undefined) stages.add(alias.toLowerCase());
  }
  return bases;
}

function substitute(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)/g, (_, braced, fallback, bare) => {
    const name = (braced ?? bare) as string;
    return values[name] ?? (fallback as string | undefined) ?? "";
  });
}

function unquote(value: string): string {
  return /^".*"$|^'.*'$/.test(value) ? value.slice(1, -1) : value;
}

/**
 * The instruction a classic builder's `Step N/M : …` line names: the Nth instruction of the
 * Dockerfile, every stage counted, ARG lines before the first FROM too (as the builder counts).
 */
export function instructionOfStep(
  instructions: readonly Instruction[],
  step: number,
): Instruction | undefined {
  return instructions[step - 1];
}
