/**
 * Compose-style variable interpolation in scalar values: `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?message}`, `${VAR?message}`, `${VAR:+replacement}`,
 * `${VAR+replacement}`, nested in defaults and replacements; `$${` is a literal `${`.
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

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OPERATORS = [":-", ":?", ":+", "-", "?", "+"] as const;

class Failure extends Error {
  // Thrown inside the expander only; interpolate() turns it into a result.
  constructor(readonly failure: InterpolationFailure) {
    super(failure.message);
  }
}

export function interpolate(input: string, env: Environment): InterpolationResult {
  if (!input.includes("${")) return { ok: true, value: input };
  try {
    return { ok: true, value: expand(input, env, 0) };
  } catch (err) {
    if (err instanceof Failure) return { ok: false, failure: err.failure };
    throw err;
  }
}

/** Expands every expression of a text; `base` is the text's offset in the scalar (for positions). */
function expand(input: string, env: Environment, base: number): string {
  let out = "";
  let i = 0;
  while (i < input.length) {
    if (input.startsWith("$${", i)) {
      out += "${";
      i += 3;
    } else if (input.startsWith("${", i)) {
      const end = closingBrace(input, i);
      if (end < 0) {
        const text = input.slice(i, Math.min(input.length, i + 40));
        throw new Failure({
          variable: "",
          message: `invalid variable expression \`${text}\` (no closing \`}\`)`,
          offset: base + i,
        });
      }
      out += expression(input.slice(i + 2, end), env, base + i);
      i = end + 1;
    } else {
      out += input[i];
      i++;
    }
  }
  return out;
}

/** Index of the `}` closing the `${` at `start`, counting nested expressions; -1 if none. */
function closingBrace(input: string, start: number): number {
  let depth = 0;
  for (let i = start; i < input.length; i++) {
    if (input.startsWith("$${", i)) {
      i += 2;
    } else if (input.startsWith("${", i)) {
      depth++;
      i++;
    } else if (input[i] === "}") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** The body of one `${…}`; a default or replacement is expanded only when it is used. */
function expression(body: string, env: Environment, offset: number): string {
  const fail = (variable: string, message: string): never => {
    throw new Failure({ variable, message, offset });
  };
  const name = /^[^}:?+-]*/.exec(body)?.[0] ?? "";
  const rest = body.slice(name.length);
  const operator = OPERATORS.find((op) => rest.startsWith(op));
  if (!NAME.test(name) || (operator === undefined && rest !== "")) {
    return fail(name, `invalid variable expression \`\${${body}}\``);
  }
  const argument = () =>
    expand(rest.slice(operator?.length ?? 0), env, offset + 2 + name.length + (operator?.length ?? 0));
  const value = env[name];
  const unset = value === undefined;
  const empty = unset || value === "";
  switch (operator) {
    case ":-":
      return empty ? argument() : value;
    case "-":
      return unset ? argument() : value;
    case ":+":
      return empty ? "" : argument();
    case "+":
      return unset ? "" : argument();
    case ":?":
      return empty ? fail(name, requiredMessage(name, argument(), "set and not empty")) : value;
    case "?":
      return unset ? fail(name, requiredMessage(name, argument(), "set")) : value;
    case undefined:
      return unset ? fail(name, `variable ${name} is not set`) : value;
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
