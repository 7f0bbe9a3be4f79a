import { existsSync, readFileSync } from "node:fs";
import type { DockerEngine } from "../../src/engine/docker-engine.js";
import { LABEL } from "../../src/model/labels.js";
import { secretForms } from "../../src/desired/sensitive.js";

/**
 * The secret scan: a map whose sensitive environment values take every awkward form (several
 * lines, three characters, a name the map lists itself), and a search for each value — and each
 * line of it — in everything berth writes: stdout, stderr, plan files, and the labels of every
 * object that carries the map's label (the state record among them).
 */
export interface SecretSet {
  /** Several lines (built-in pattern: TOKEN). */
  multi: string;
  /** Three characters, a name the map lists under `sensitive`. */
  short: string;
  /** An ordinary password (built-in pattern: PASSWORD). */
  plain: string;
}

export const SECRETS_V1: SecretSet = {
  multi: "alpha-line-one\nbravo-line-two",
  short: "q7z",
  plain: "hunter-2-long",
};
export const SECRETS_V2: SecretSet = {
  multi: "charlie-line-3\ndelta-line-four",
  short: "z8q",
  plain: "hunter-3-long",
};

const yamlString = (value: string) => JSON.stringify(value);

/**
 * `app` holds the secrets; `failing` and `failing-pin` (when asked) run an exec command that
 * prints them and fails, as a command that echoes its environment would.
 */
export function secretMap(mapName: string, image: string, secrets: SecretSet, failing = false): string {
  const env = `
    API_TOKEN: ${yamlString(secrets.multi)}
    PIN: ${yamlString(secrets.short)}
    DB_PASSWORD: ${yamlString(secrets.plain)}
    PLAIN: visible`;
  const failingConfig = `
failing:
  image: /${image}
  environment:${env}
  exec_commands:
    - {cmd: [sh, -c, 'echo "token=$API_TOKEN"; echo "password=$DB_PASSWORD"; exit 3'], policy: initial}
failing-pin:
  image: /${image}
  environment:${env}
  exec_commands:
    - {cmd: [sh, -c, 'echo "pin=$PIN"; exit 4'], policy: initial}
`;
  return `
name: ${mapName}
sensitive: [PIN]
volumes:
  data: /data
app:
  image: /${image}
  attaches: data
  environment:${env}
${failing ? failingConfig : ""}`;
}

/** The strings that must never appear: every value and every line of it, of three characters or more. */
export function forbiddenStrings(...sets: SecretSet[]): string[] {
  const out = new Set<string>();
  for (const set of sets) {
    for (const value of [set.multi, set.short, set.plain]) {
      for (const form of secretForms(value)) if (form.trim().length >= 3) out.add(form);
    }
  }
  return [...out];
}

export interface Hit {
  where: string;
  secret: string;
}

export function scanText(where: string, text: string, forbidden: readonly string[]): Hit[] {
  return forbidden.filter((s) => text.includes(s)).map((secret) => ({ where, secret }));
}

export function scanFile(path: string, forbidden: readonly string[]): Hit[] {
  return existsSync(path) ? scanText(path, readFileSync(path, "utf8"), forbidden) : [];
}

/** Every label of every container, volume and network of the map (the state record included). */
export async function scanLabels(
  engine: DockerEngine,
  mapName: string,
  forbidden: readonly string[],
): Promise<Hit[]> {
  const selector = { [LABEL.map]: mapName };
  const hits: Hit[] = [];
  for (const c of await engine.listContainers(selector)) {
    const details = await engine.inspectContainer(c.Id);
    const labels = JSON.stringify(details.Config.Labels ?? {});
    hits.push(...scanText(`labels of container ${c.Names[0] ?? c.Id}`, labels, forbidden));
  }
  for (const v of await engine.listVolumes(selector))
    hits.push(...scanText(`labels of volume ${v.Name}`, JSON.stringify(v.Labels ?? {}), forbidden));
  for (const n of await engine.listNetworks(selector))
    hits.push(...scanText(`labels of network ${n.Name}`, JSON.stringify(n.Labels ?? {}), forbidden));
  return hits;
}
