import { afterAll, describe, expect, it } from "vitest";
import { LABEL } from "../../../src/model/labels.js";
import type { Plan } from "../../../src/plan/plan-types.js";
import { berth } from "../../helpers/cli.js";
import { extraEngine, FIXTURE_IMAGES, SWARM } from "../../helpers/engine.js";
import { runJson } from "../../helpers/plan-json.js";
import { IDLE, swarmTestMap, writeSwarmClients } from "../../helpers/swarm.js";

/**
 * `shutdown --volumes` on a swarm: the map's named volume pinned on e5 (a node client with its own
 * base_url) goes, after the task containers that hold it (the completed job's, which Swarm leaves,
 * and the service's running one); plain `shutdown` keeps it; with e5 given no address it stays and
 * the run fails, saying so.
 */
// e4 is a node client without an address, but it is the manager's own node: the manager's engine
// removes its volumes. e5 has its own base_url; without it, berth cannot reach e5's volumes.
const swarm = swarmTestMap("swvol", { addressed: ["e5"] });
const unaddressedClients = writeSwarmClients(swarm.dir, { file: "unaddressed-clients.yaml" });
const { name } = swarm;
const fileArgs = swarm.args;
const file = swarm.write(`
volumes: {data: {default_path: /data}}
fill:
  image: ${FIXTURE_IMAGES.base1}
  clients: [e5]
  persistent: true
  attaches: [data]
  command: [sh, -c, "echo filled > /data/x"]
web:
  image: ${FIXTURE_IMAGES.base1}
  clients: [e5]
  uses: [data]
  depends_on: {fill: completed}
  command: [sh, -c, "${IDLE}"]
`);
const e5 = () => extraEngine(SWARM.worker);
const volumesOnE5 = async () => (await e5().listVolumes({ [LABEL.map]: name })).map((v) => v.Name);

afterAll(() => swarm.cleanup());

describe("Swarm: shutdown --volumes", () => {
  it("keeps the node's volume on shutdown, removes it with --volumes, then plans nothing", async () => {
    const up = await runJson(fileArgs(file), "startup");
    expect(up.code, up.stderr).toBe(0);
    expect(await volumesOnE5()).toEqual([`${name}.data`]);

    const planned = await berth([...fileArgs(file), "plan", "--action", "shutdown", "--volumes", "--json"]);
    expect(planned.code, planned.stderr).toBe(0);
    const steps = (JSON.parse(planned.stdout) as Plan).steps;
    // While the service runs, its task container holds the volume too: both go, after the services.
    expect(steps.filter((s) => s.type === "remove-container")).toHaveLength(2);

    const down = await runJson(fileArgs(file), "shutdown");
    expect(down.code, down.stderr).toBe(0);
    expect(down.plan.steps.map((s) => s.type)).not.toContain("remove-volume");
    expect(await volumesOnE5()).toEqual([`${name}.data`]);

    // e5 without an address: its volume cannot be removed, and the run says so (exit 1), naming
    // the node and what to do; `plan --detailed-exitcode` does not say "no changes" either.
    const unaddressed = ["-f", file, "--clients", unaddressedClients];
    const dry = await berth([
      ...unaddressed,
      "plan",
      "--action",
      "shutdown",
      "--volumes",
      "--detailed-exitcode",
    ]);
    expect(dry.code, dry.stderr).toBe(1);
    expect(dry.stdout).toContain("undone: the map's named volumes on swarm node `e5` (of `sw`) stay");
    const undone = await runJson(unaddressed, "shutdown", ["--volumes"]);
    expect(undone.code, undone.stderr).toBe(1);
    expect(undone.plan.undone?.map((u) => u.client)).toEqual(["e5"]);
    expect(undone.stderr).toContain(
      "error: the map's named volumes on swarm node `e5` (of `sw`) stay: berth cannot reach its engine (no base_url or context in the clients file); give client `e5` a `base_url` or `context`",
    );
    expect(undone.result.ok).toBe(false);
    expect(await volumesOnE5()).toEqual([`${name}.data`]);

    const wipe = await runJson(fileArgs(file), "shutdown", ["--volumes"]);
    expect(wipe.code, wipe.stderr).toBe(0);
    const removal = wipe.plan.steps.find((s) => s.type === "remove-volume");
    expect(removal?.object).toMatchObject({ client: "e5", name: `${name}.data`, key: "data" });
    // The completed job's task container holds the volume after `shutdown` (the service's running
    // one, too, while Swarm has not removed it yet): they go first.
    const tasks = wipe.plan.steps.filter((s) => s.type === "remove-container");
    expect(tasks.length).toBeGreaterThanOrEqual(1);
    expect(new Set(tasks.map((t) => t.object.client))).toEqual(new Set(["e5"]));
    expect(tasks.some((t) => t.object.name.startsWith(`${name}-fill.`))).toBe(true);
    expect(removal?.after).toEqual(expect.arrayContaining(tasks.map((t) => t.id)));
    // e4 (no address) is the manager's own node: nothing is left undone there.
    expect(wipe.plan.undone).toBeUndefined();
    expect(wipe.plan.warnings.join("\n")).not.toContain("e4");
    expect(await volumesOnE5()).toEqual([]);

    const again = await runJson(fileArgs(file), "shutdown", ["--volumes"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.plan.steps).toEqual([]);
  });
});
