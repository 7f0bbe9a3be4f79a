/** Environment names that hold secrets: built-in pattern plus the names a map lists. */
const SENSITIVE_PATTERN = /PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL/i;

export const SENSITIVE_PLACEHOLDER = "(sensitive)";

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

/** Replaces every secret value that occurs in a text (for engine messages and logs). */
export function scrubSecrets(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join(SENSITIVE_PLACEHOLDER);
  return out;
}
