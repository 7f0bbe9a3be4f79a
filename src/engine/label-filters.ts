import type { LabelSelector } from "./engine.js";

/** The engine API's `filters` query for a label selector; undefined for none. */
export function labelFilters(labels: LabelSelector): string | undefined {
  const list = Object.entries(labels).map(([k, v]) => (v === true ? k : `${k}=${v}`));
  return list.length === 0 ? undefined : JSON.stringify({ label: list });
}
