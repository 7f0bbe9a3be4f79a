/** Environment names that hold secrets: built-in pattern plus the names a map lists. */
const SENSITIVE_PATTERN = /PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL/i;

export const SENSITIVE_PLACEHOLDER = "(sensitive)";

/** What replaces a whole text from outside berth in which a short secret occurs. */
export const WITHHELD_PLACEHOLDER = "(withheld: it may hold a sensitive value)";

/**
 * Below this length a secret (or a line of one) is not replaced where it occurs: one to three
 * characters cannot be told from ordinary text, and masking every `ab` of a message would both
 * wreck it and show the secret by where the holes are. A text from outside berth in which one
 * occurs is withheld whole instead (see maskSecrets).
 */
export const SHORT_SECRET = 4;

export function isSensitiveName(name: string, listed: readonly string[] = []): boolean {
  return SENSITIVE_PATTERN.test(name) || listed.includes(name);
}

/** A copy of an environment with secret values replaced by the placeholder. */
export function redactEnvironment(
  env: Record<string, string>,
  listed: readonly string[] = [],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env))
    out[name] = isSensitiveName(name, listed) ? SENSITIVE_PLACEHOLDER : value;
  return out;
}

/** The values of a map's secret environment variables and build arguments, every container's, once each. */
export function secretValuesOf(map: {
  containers: readonly {
    environment: Readonly<Record<string, string>>;
    build?: { args: Readonly<Record<string, string>> };
  }[];
  sensitive: readonly string[];
}): string[] {
  const out = new Set<string>();
  for (const container of map.containers) {
    // Build arguments follow the same rules as the environment.
    for (const values of [container.environment, container.build?.args ?? {}]) {
      for (const [name, value] of Object.entries(values)) {
        if (value !== "" && isSensitiveName(name, map.sensitive)) out.add(value);
      }
    }
  }
  return [...out];
}

/**
 * Every way a secret can show in a text berth did not write: the value itself; each line of it
 * (output is read and joined line by line); each piece between NUL bytes (C strings end there);
 * and those escaped as JSON (`\n`, `\u0000`) and as Go quotes them (`\x00`), the forms an
 * engine's error message echoes a value in. Whitespace-only pieces are left out.
 */
export function secretForms(secret: string): string[] {
  const pieces = new Set<string>([secret]);
  for (const line of secret.split(/\r?\n|\r/)) {
    pieces.add(line);
    for (const part of line.split("\0")) pieces.add(part);
  }
  for (const part of secret.split("\0")) pieces.add(part);
  const forms = new Set<string>();
  for (const piece of pieces) {
    if (piece.trim() === "") continue;
    forms.add(piece);
    forms.add(JSON.stringify(piece).slice(1, -1));
    forms.add(goQuoted(piece));
  }
  return [...forms];
}

/** Go's %q escaping of control characters (the engine is written in Go). */
function goQuoted(text: string): string {
  const named: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r" };
  let out = "";
  for (const c of text) {
    const code = c.charCodeAt(0);
    const control = code < 0x20 || code === 0x7f;
    out += named[c] ?? (control ? `\\x${code.toString(16).padStart(2, "0")}` : c);
  }
  return out;
}

/** The secret forms of several secrets, long ones longest first. */
function formsOf(secrets: Iterable<string>): { long: string[]; short: string[] } {
  const all = new Set<string>();
  for (const secret of secrets) for (const form of secretForms(secret)) all.add(form);
  const long = [...all].filter((f) => f.length >= SHORT_SECRET).sort((a, b) => b.length - a.length);
  const short = [...all].filter((f) => f.length < SHORT_SECRET);
  return { long, short };
}

function replaceAll(text: string, forms: readonly string[]): string {
  let out = text;
  for (const form of forms) out = out.split(form).join(SENSITIVE_PLACEHOLDER);
  return out;
}

/**
 * Masks a text that came from outside berth (a command's output, an engine's message), whole,
 * before it is split, trimmed or joined with anything: every form of a secret of four characters
 * or more is replaced by `(sensitive)`; if a shorter secret (or a short line of one) still occurs,
 * the whole text is withheld.
 */
export function maskSecrets(text: string, secrets: Iterable<string>): string {
  const { long, short } = formsOf(secrets);
  const masked = replaceAll(text, long);
  const rest = masked.split(SENSITIVE_PLACEHOLDER).join("\n");
  return short.some((form) => rest.includes(form)) ? WITHHELD_PLACEHOLDER : masked;
}

/**
 * Replaces every form of a secret of four characters or more in a text berth composed itself
 * around parts already masked with maskSecrets (a step's failure line): a last guard that never
 * withholds berth's own words.
 */
export function scrubSecrets(text: string, secrets: Iterable<string>): string {
  return replaceAll(text, formsOf(secrets).long);
}
