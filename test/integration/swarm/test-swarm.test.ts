import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { EXTRA_ENGINES, SWARM } from "../../helpers/engine.js";

/**
 * The swarm the Swarm and overlay tests rely on (scripts/test-engines-extra.sh): two nodes, both
 * ready, each labelled with its engine's name so placement can tell them apart (both report this
 * machine's hostname).
 */
describe("test swarm", () => {
  it("has a manager and a worker, both ready and labelled by engine", () => {
    const format = `{{index .Spec.Labels "${SWARM.nodeLabel}"}} {{.Spec.Role}} {{.Status.State}}`;
    const ids = execFileSync("docker", ["-H", EXTRA_ENGINES[SWARM.manager], "node", "ls", "-q"], {
      encoding: "utf8",
    });
    const rows = execFileSync(
      "docker",
      ["-H", EXTRA_ENGINES[SWARM.manager], "node", "inspect", "--format", format, ...ids.trim().split("\n")],
      { encoding: "utf8" },
    );
    expect(rows.trim().split("\n").sort()).toEqual(["e4 manager ready", "e5 worker ready"]);
  });
});
