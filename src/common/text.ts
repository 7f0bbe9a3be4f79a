/** A scalar as text; anything else as JSON. For messages and for values the schema already checked. */
export function text(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  if (value === null || value === undefined) return "";
  return JSON.stringify(value);
}
