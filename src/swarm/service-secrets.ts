import { isSensitiveName } from "../desired/sensitive.js";
import { protectValue } from "../desired/spec-label.js";
import type { ResolvedMap } from "../map/model.js";
import { LABEL } from "../model/labels.js";
import type { ServiceGroup } from "./desired-services.js";
import { SWARM_LABEL } from "./service-record.js";
import type { DesiredSecret, SwarmContainerSpec } from "./swarm-types.js";

/** Where Swarm puts a task's secrets. */
export const SECRETS_FOLDER = "/run/secrets";

/** Longest secret name the engine takes. */
const MAX_SECRET_NAME = 64;

/**
 * With `swarm.secrets: true`, each sensitive environment variable of a service leaves its
 * environment and becomes a Swarm secret, given to the task as the file /run/secrets/NAME, with
 * NAME_FILE=/run/secrets/NAME in the environment (the convention of images that read secrets
 * from files). Edits `spec` in place. A secret cannot change: its name carries a salted hash of
 * its value, so a new value is a new secret and the service is updated to it.
 */
export function secretsOf(
  map: ResolvedMap,
  group: ServiceGroup,
  spec: SwarmContainerSpec,
  enabled: boolean,
  salt: string,
): DesiredSecret[] {
  if (!enabled || spec.Env === undefined) return [];
  const out: DesiredSecret[] = [];
  const env: string[] = [];
  for (const entry of spec.Env) {
    const at = entry.indexOf("=");
    const name = entry.slice(0, at);
    const value = entry.slice(at + 1);
    if (!isSensitiveName(name, map.sensitive)) {
      env.push(entry);
      continue;
    }
    const secret = secretName(group.name, name, value, salt);
    out.push({
      name: secret,
      env: name,
      value,
      labels: {
        [LABEL.map]: map.name,
        [LABEL.config]: group.config,
        [LABEL.kind]: "secret",
        [LABEL.alias]: name,
        [SWARM_LABEL.client]: group.manager,
      },
    });
    env.push(`${name}_FILE=${SECRETS_FOLDER}/${name}`);
  }
  if (out.length === 0) return [];
  spec.Env = env.sort();
  spec.Secrets = out.map((s) => ({
    SecretName: s.name,
    File: { Name: s.env, UID: "0", GID: "0", Mode: 0o444 },
  }));
  return out;
}

/** `<service>_<NAME>_<hash>`: the hash is a salted HMAC of the value, so it tells nothing of it. */
function secretName(service: string, env: string, value: string, salt: string): string {
  const hash = protectValue(`${service}\u0000${env}\u0000${value}`, salt).slice(-12);
  const room = MAX_SECRET_NAME - hash.length - 2;
  const head = `${service}_${env.replace(/[^A-Za-z0-9_.-]/g, "-")}`.slice(0, room);
  return `${head}_${hash}`;
}
