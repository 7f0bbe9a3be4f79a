import { createHash } from "node:crypto";

/**
 * JSON with object keys sorted at every level, so equal values always serialise to equal text.
 * `undefined` members are dropped, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  const resolved = withToJson(value);
  return isLeftOut(resolved) ? "null" : append("", resolved);
}

/** What JSON.stringify leaves out of objects (and writes as null in arrays). */
function isLeftOut(value: unknown): boolean {
  const type = typeof value;
  return type === "undefined" || type === "function" || type === "symbol" || type === "bigint";
}

function withToJson(value: unknown): unknown {
  return value !== null &&
    typeof value === "object" &&
    typeof (value as { toJSON?: unknown }).toJSON === "function"
    ? (value as { toJSON(): unknown }).toJSON()
    : value;
}

/**
 * Appends JSON.stringify's output with sorted keys to `out`, written directly into one string: no
 * sorted copy and no string per nesting level (planning writes one per container; garbage
 * collection was what grew fastest with the size of a map).
 */
function append(out: string, value: unknown): string {
  if (value === null) return `${out}null`;
  switch (typeof value) {
    case "string":
      return out + JSON.stringify(value);
    case "number":
      return out + (Number.isFinite(value) ? String(value) : "null");
    case "boolean":
      return out + (value ? "true" : "false");
    case "object":
    case "bigint":
    case "function":
    case "symbol":
    case "undefined":
      break; // objects below; the others never get here (see isLeftOut)
  }
  if (Array.isArray(value)) {
    let text = `${out}[`;
    for (let i = 0; i < value.length; i++) {
      if (i > 0) text += ",";
      const item = withToJson(value[i]);
      text = isLeftOut(item) ? `${text}null` : append(text, item);
    }
    return `${text}]`;
  }
  const record = value as Record<string, unknown>;
  let text = `${out}{`;
  let first = true;
  for (const key of Object.keys(record).sort()) {
    const member = withToJson(record[key]);
    if (isLeftOut(member)) continue;
    text += first ? JSON.stringify(key) : `,${JSON.stringify(key)}`;
    text = append(`${text}:`, member);
    first = false;
  }
  return `${text}}`;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A short, stable digest of any JSON-able value. */
export function digest(value: unknown, length = 16): string {
  return sha256(canonicalJson(value)).slice(0, length);
}
