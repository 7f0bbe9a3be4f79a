import { createHash } from "node:crypto";

/**
 * JSON with object keys sorted at every level, so equal values always serialise to equal text.
 * `undefined` members are dropped, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  return write(value) ?? "null";
}

/** JSON.stringify's output with sorted keys, written directly (no sorted copy is built). */
function write(value: unknown): string | undefined {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "object":
      break;
    case "bigint":
    case "function":
    case "symbol":
    case "undefined":
      return undefined; // left out (or null in arrays), as JSON.stringify does
  }
  if (Array.isArray(value)) return `[${value.map((item) => write(item) ?? "null").join(",")}]`;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function")
    return write((value as { toJSON(): unknown }).toJSON());
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const member = write(record[key]);
    if (member !== undefined) parts.push(`${JSON.stringify(key)}:${member}`);
  }
  return `{${parts.join(",")}}`;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A short, stable digest of any JSON-able value. */
export function digest(value: unknown, length = 16): string {
  return sha256(canonicalJson(value)).slice(0, length);
}
