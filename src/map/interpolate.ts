/**
 * Compose-style variable interpolation in scalar values: `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?message}`, `${VAR?message}`; `$${` is a literal `${`.
 * A bare `$VAR` is left alone, so shell commands in a map keep their own variables.
 */

export type Environment = Readonly<Record<string, string | undefined>>;

export interface InterpolationFailure {
  variable: string;
  message: string;
  /** Offset of the `${` in the input. */
  offset: number;
}

export type InterpolationResult = { ok: true; value: string } | { ok: false; failure: InterpolationFailure };

const EXPRESSION = /\$\$\{|\$\{([^}]*)\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function interpolate(input: string, env: Environment): InterpolationResult {
  if (!input.includes("${")) return { ok: true, value: input };
  let failure: InterpolationFailure | undefined;
  const value = input.replace(EXPRESSION, (match: string, body: string | undefined, offset: number) => {
    if (match === "$${") return "${";
    if (failure !== undefined || body === undefined) return match;
    const resolved = resolveExpression(body, env);
    if (typeof resolved === "string") return resolved;
    failure = { ...resolved, offset };
    return match;
  });
  return failure === undefined ? { ok: true, value } : { ok: false, failure };
}

function resolveExpression(body: string, env: Environment): string | Omit<InterpolationFailure, "offset"> {
  const match = /^([^:?-]*)(:?[-?])?(.*)$/s.exec(body);
  const name = match?.[1] ?? body;
  const operator = match?.[2] as ":-" | "-" | ":?" | "?" | undefined;
  const argument = match?.[3] ?? "";
  if (!NAME.test(name)) {
    return { variable: name, message: `invalid variable expression \`\${${body}}\`` };
  }
  const value = env[name];
  const unset = value === undefined;
  const empty = unset || value === "";
  switch (operator) {
    case ":-":
      return empty ? argument : value;
    case "-":
      return unset ? argument : value;
    case ":?":
      if (empty) return { variable: name, message: requiredMessage(name, argument, "set and not empty") };
      return value;
    case "?":
      if (unset) return { variable: name, message: requiredMessage(name, argument, "set") };
      return value;
    case undefined:
      if (unset) {
        return {
          variable: name,
          message: `variable ${name} is not set`,
        };
      }
      return value;
  }
}

function requiredMessage(name: string, text: string, requirement: string): string {
  return text === "" ? `variable ${name} must be ${requirement}` : `variable ${name}: ${text}`;
}

/**
 * docker-map's `!path` expansion (Python's expanduser(expandvars(v))): `$VAR` and `${VAR}` are
 * replaced when set and left as they are otherwise; a leading `~` becomes the home folder.
 */
export function expandPath(input: string, env: Environment): string {
  const expanded = input.replace(
    /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (match, a, b) => {
      const value = env[(a ?? b) as string];
      return value === undefined ? match : value;
    },
  );
  if (expanded === "~" || expanded.startsWith("~/")) {
    const home = env.HOME;
    if (home !== undefined) return home + expanded.slice(1);
  }
  return expanded;
}

/** Parses a `.env` file: `NAME=value` lines, `#` comments, optional `export`, quoted values. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    const name = match[1] as string;
    let value = match[2] ?? "";
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
    } else {
      value = value.replace(/\s+#.*$/, "");
    }
    out[name] = value;
  }
  return out;
}
