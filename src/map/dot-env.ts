import { readFileSync } from "node:fs";
import dotenv from "dotenv";
import { expand } from "dotenv-expand";
import { UsageError } from "../common/berth-error.js";
import type { Environment } from "./interpolate.js";

/**
 * `.env` files as Compose users write them, read by dotenv (quoted values, `# comments` after a
 * value, values over several lines in quotes, `export NAME=…`) with dotenv-expand for `${VAR}`,
 * `${VAR:-default}` and `$VAR` references to the environment and to names defined before.
 *
 * The process environment wins over every file, as in Compose; among files, later ones win.
 */
export function readDotEnvFiles(files: readonly string[], env: Environment): Record<string, string> {
  const shell = definedOnly(env);
  let fromFiles: Record<string, string> = {};
  for (const file of files) fromFiles = { ...fromFiles, ...parseDotEnv(readText(file), shell, fromFiles) };
  return { ...fromFiles, ...shell };
}

/**
 * One file's variables, references expanded against `shell` (which wins) and `earlier` (the
 * files read before this one). Returns only the names the file defines.
 */
export function parseDotEnv(
  text: string,
  shell: Readonly<Record<string, string>> = {},
  earlier: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const parsed = dotenv.parse(text);
  // dotenv-expand lets the names of processEnv win over the file's own: a name this file defines
  // again must not keep an earlier file's value.
  const processEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(earlier)) if (!(name in parsed)) processEnv[name] = value;
  Object.assign(processEnv, shell);
  expand({ parsed, processEnv });
  return parsed;
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read env file ${file}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`,
    );
  }
}

function definedOnly(env: Environment): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
