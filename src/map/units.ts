/** Durations, byte sizes and shell-style splitting, as the map format writes them. */

const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  "\u00b5s": 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** `1m30s`, `500ms`, or a number of seconds → nanoseconds. */
export function parseDuration(value: string | number): number {
  if (typeof value === "number") return Math.round(value * 1e9);
  let total = 0;
  const re = /([0-9]+(?:\.[0-9]+)?)(ns|us|\u00b5s|ms|s|m|h)/g;
  let consumed = 0;
  for (const match of value.matchAll(re)) {
    total += Number(match[1]) * (DURATION_UNITS[match[2] as string] ?? 0);
    consumed += match[0].length;
  }
  if (consumed !== value.length || value.length === 0) throw new Error(`invalid duration \`${value}\``);
  return Math.round(total);
}

/** Nanoseconds → the canonical duration text (`1m30s`, `500ms`), which parses back to the same value. */
export function formatDuration(ns: number): string {
  if (ns === 0) return "0s";
  const parts: string[] = [];
  let rest = ns;
  for (const [unit, size] of [
    ["h", 3600e9],
    ["m", 60e9],
    ["s", 1e9],
    ["ms", 1e6],
    ["us", 1e3],
    ["ns", 1],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      parts.push(`${count}${unit}`);
      rest -= count * size;
    }
  }
  return parts.join("");
}

const BYTE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** docker-py's size strings (`512m`, `1g`, `100k`, `1.5GiB`) or a number of bytes → bytes. */
export function parseByteSize(value: string | number): number {
  if (typeof value === "number") return value;
  const match = /^([0-9]+(?:\.[0-9]+)?)\s*([bkmgt]?)(?:ib|i|b)?$/i.exec(value.trim());
  if (!match) throw new Error(`invalid size \`${value}\``);
  const unit = (match[2] ?? "").toLowerCase();
  return Math.round(Number(match[1]) * (BYTE_UNITS[unit] ?? 1));
}

/** Splits a command string into arguments the way a POSIX shell (and Python's shlex) would. */
export function shellSplit(command: string): string[] {
  const args: string[] = [];
  let current = "";
  let inArg = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i] as string;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else current += ch;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === "\\" && i + 1 < command.length && '"\\$`'.includes(command[i + 1] as string)) {
        current += command[++i];
      } else current += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inArg = true;
    } else if (ch === "\\" && i + 1 < command.length) {
      current += command[++i];
      inArg = true;
    } else if (/\s/.test(ch)) {
      if (inArg) args.push(current);
      current = "";
      inArg = false;
    } else {
      current += ch;
      inArg = true;
    }
  }
  if (quote !== undefined) throw new Error(`unclosed ${quote} quote in \`${command}\``);
  if (inArg) args.push(current);
  return args;
}
