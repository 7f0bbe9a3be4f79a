import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { berth, REPO_ROOT, tempFolder, writeMap } from "../../helpers/cli.js";
import { FIXTURE_IMAGES, SWARM, uniqueMapName } from "../../helpers/engine.js";
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
const workerPid = "/run/berth-engines/e5/dockerd.pid";

afterAll(async () => {
  await removeSwarmMapObjects(name);
  folder.remove();
});

async function stopWorker(): Promise<void> {
  const pid = Number(readFileSync(workerPid, "utf8").trim());
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 120; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error("e5's dockerd did not stop within 30 s");
}

async function nodeState(label: string, wanted: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const nodes = await manager().listNodes();
    if (nodes.find((n) => n.Spec.Labels?.[SWARM.nodeLabel] === label)?.Status.State === wanted) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`node ${label} is not ${wanted} after 60 s`);
}

function startWorker(): void {
  const done = spawnSync("bash", [join(REPO_ROOT, "scripts/test-engines-extra.sh")], { encoding: "utf8" });
  if (done.status !== 0) throw new Error(`test-engines-extra.sh failed: ${done.stderr}`);
}

describe("a swarm node that stops", () => {
  it("shows in status; update reports the tasks that cannot be placed", async () => {
    const up = await runJson(fileArgs(file), "startup");
    expect(up.code, up.stderr).toBe(0);
    expect(existsSync(workerPid), "e5 runs (scripts/test-engines-extra.sh)").toBe(true);
    await stopWorker();
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
      startWorker();
    }
    await nodeState("e5", "ready");
    const back = await runJson(fileArgs(file), "update");
    expect(back.code, back.stderr).toBe(0);
  });
});
