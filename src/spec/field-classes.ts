/**
 * What a change of each container field means for a running container, derived from the field
 * registry (fields-container.ts, fields-host-config.ts); a test fails when the schema gains a
 * field that has no entry there.
 */
import { CONTAINER_FIELDS, containerField } from "./fields-container.js";
import { CREATE_OPTION_FIELDS, HOST_CONFIG_FIELDS, optionField } from "./fields-host-config.js";
import type { FieldClass, OptionField } from "./fields.js";

export type { FieldClass } from "./fields.js";

type Classes<T> = { [K in keyof T]: FieldClass };

function classesOf<T extends Record<string, { class: FieldClass }>>(fields: T): Classes<T> {
  return Object.fromEntries(Object.entries(fields).map(([key, entry]) => [key, entry.class])) as Classes<T>;
}

/** Container keys of the map (schema `$defs/container`). */
export const CONTAINER_FIELD_CLASSES = classesOf(CONTAINER_FIELDS);

/** host_config keys (schema `$defs/hostConfig`). */
export const HOST_CONFIG_FIELD_CLASSES = classesOf(HOST_CONFIG_FIELDS);

/** create_options keys (schema `$defs/createOptions`): most are lifted to first-class keys. */
export const CREATE_OPTIONS_FIELD_CLASSES = classesOf(CREATE_OPTION_FIELDS);

/** host_config limits that `docker update` can change, with the engine's name for each. */
export const UPDATABLE_LIMITS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(HOST_CONFIG_FIELDS as Record<string, OptionField>).flatMap(([key, entry]) =>
    entry.update === undefined ? [] : [[key, entry.update]],
  ),
);

/** The class of a spec field path such as `environment.FOO` or `host_config.mem_limit`. */
export function classOf(field: string): FieldClass {
  const [head, sub] = splitField(field);
  if ((head === "host_config" || head === "create_options") && sub !== undefined) {
    return optionField(head, sub)?.class ?? "recreate";
  }
  return containerField(head)?.class ?? "recreate";
}

function splitField(field: string): [string, string | undefined] {
  const dot = field.indexOf(".");
  return dot < 0 ? [field, undefined] : [field.slice(0, dot), field.slice(dot + 1)];
}
