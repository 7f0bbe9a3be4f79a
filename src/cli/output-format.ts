import { InvalidArgumentError, Option } from "commander";
import { yamlLibrary } from "../common/lazy-modules.js";

/** `-o, --output FORMAT` as kubectl users expect it: the format of what goes to stdout. */
export type OutputFormat = "text" | "json" | "yaml";

/**
 * The option, with the formats a command offers. A value that is none of them is refused with a
 * word about `--out FILE`: `plan -o plan.json` (berth's older spelling of saving a plan) must
 * never write a file, nor print anything else than asked.
 */
export function outputOption(formats: readonly OutputFormat[], defaultFormat: OutputFormat): Option {
  return new Option(
    "-o, --output <format>",
    `output format: ${formats.join(", ")} (default: ${defaultFormat})`,
  ).argParser((value: string): OutputFormat => {
    if ((formats as readonly string[]).includes(value)) return value as OutputFormat;
    throw new InvalidArgumentError(
      `expected one of ${formats.join(", ")}${value.includes(".") || value.includes("/") ? "; to save a plan to a file, use --out FILE" : ""}`,
    );
  });
}

/** The format asked for: `-o`, else `--json`, else the command's default. */
export function formatOf(
  flags: { output?: OutputFormat; json?: boolean },
  defaultFormat: OutputFormat,
): OutputFormat {
  return flags.output ?? (flags.json === true ? "json" : defaultFormat);
}

/** Data as YAML (the same content as its JSON form). */
export function toYaml(value: unknown): string {
  return yamlLibrary().stringify(JSON.parse(JSON.stringify(value)) as unknown, {
    lineWidth: 0,
    aliasDuplicateObjects: false,
  });
}
