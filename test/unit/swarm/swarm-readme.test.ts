import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  SWARM_CONTAINER_KEYS,
  SWARM_CREATE_OPTION_KEYS,
  SWARM_HOST_CONFIG_KEYS,
} from "../../../src/swarm/swarm.js";
import { REPO_ROOT } from "../../helpers/cli.js";

/** README's section on swarm services, up to the next section. */
function swarmSection(): string {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const start = readme.indexOf("### Swarm services");
  const end = readme.indexOf("\n### ", start + 1);
  return readme.slice(start, end);
}

describe("README's mapping table names every key the Swarm tables decide", () => {
  const section = swarmSection();
  const keys = [
    ...Object.keys(SWARM_CONTAINER_KEYS).filter(
      (k) => !["abstract", "extends", "create_options", "host_config", "swarm"].includes(k),
    ),
    ...Object.keys(SWARM_HOST_CONFIG_KEYS).filter((k) => k !== "restart_policy"),
    ...Object.keys(SWARM_CREATE_OPTION_KEYS).filter(
      (k) =>
        "refused" in SWARM_CREATE_OPTION_KEYS[k as keyof typeof SWARM_CREATE_OPTION_KEYS] ||
        ["tty", "stdin_open"].includes(k),
    ),
  ];
  for (const key of keys) {
    it(key, () => expect(section).toContain(`\`${key}\``));
  }
});
