import { existsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { berth, tempFolder, writeMap } from "../../helpers/cli.js";
import {
  extraEnginePidFile,
  FIXTURE_IMAGES,
  startExtraEngines,
  stopExtraEngine,
  SWARM,
  uniqueMapName,
} from "../../helpers/engine.js";
import { runJson } from "../../helpers/plan-json.js";
import { removeSwarmMapObjects } from "../../helpers/swarm-cleanup.js";
import { manager, writeSwarmClients } from "../../helpers/swarm.js";

/**
 * A node of the swarm stops (the worker e5's dockerd): `status` shows it down and the tasks that
 * cannot be placed; `update` reports them and fails, naming the service and why. The worker is
 * started again at the end (scripts/test-engines-extra.sh).
 */
const folder = tempFolder("swarm-down");
const clientsFile = writeSwarmClients(folder.dir);
const name = uniqueMapName("swdown");
const fileArgs = (file: string) => ["-f", file, "--clients", clientsFile];
const idle = "trap 'exit 0' TERM; while true; do sleep 1; done";
const file = writeMap(
  folder.dir,
  `
name: ${name}
clients: [sw, e4, e5]
pinned:
  image: ${FIXTURE_IMAGES.base1}
  clients: e5
  command: [sh, -c, "${idle}"]
anywhere:
  image: ${FIXTURE_IMAGES.base1}
  instances: [a, b]
  command: [sh, -c, "${idle}"]
`,
  `${name}.yaml`,
);
const pinned = `${name}-pinned`;
const workerPid = extraEnginePidFile("e5");

afterAll(async () => {
  await removeSwarmMapObjects(name);
  folder.remove();
});

async function nodeState(label: string, wanted: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const nodes = await manager().listNodes();
    if (nodes.find((n) => n.Spec.Labels?.[SWARM.nodeLabel] === label)?.Status.State === wanted) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`node ${label} is not ${wanted} after 60 s`);
}

describe("a swarm node that stops", () => {
  it("shows in status; update reports the tasks that cannot be placed", async () => {
    const up = await runJson(fileArgs(file), "startup");
    expect(up.code, up.stderr).toBe(0);
    expect(existsSync(workerPid), "e5 runs (scripts/test-engines-extra.sh)").toBe(true);
    await stopExtraEngine("e5");
    try {
      await nodeState("e5", "down");
      const status = await berth([...fileArgs(file), "status"]);
      expect(status.code, status.stderr).toBe(0);
      const lines = status.stdout.split("\n").map((l) => l.replace(/\s+/g, " ").trim());
      expect(lines).toContain("node e5 down");
      expect(lines).toContain("node e4 ready");
      expect(lines).toContain(`service ${pinned} 0/1 partial`);
      expect(lines.some((l) => l.startsWith(`service ${name}-anywhere `))).toBe(true);

      const update = await runJson(fileArgs(file), "update", ["--wait-timeout", "5"]);
      expect(update.code).not.toBe(0);
      const change = update.plan.changes.find((c) => c.object.name === pinned);
      expect(change?.reasons[0]?.message).toMatch(
        /^0 of 1 tasks running: 1 (running on a node that is down|pending \(no suitable node)/,
      );
      const failed = update.result.results.find((r) => r.status === "failed" && r.object.name === pinned);
      expect(failed?.message).toMatch(
        new RegExp(
          `sw: wait running service ${pinned}: not running after 5 s: 0 of 1 tasks running: 1 (running on a node that is down|pending \\(no suitable node)`,
        ),
      );
    } finally {
      startExtraEngines();
    }
    await nodeState("e5", "ready");
    const back = await runJson(fileArgs(file), "update");
    expect(back.code, back.stderr).toBe(0);
  });
});
