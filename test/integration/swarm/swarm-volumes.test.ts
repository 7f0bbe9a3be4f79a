import { afterAll, describe, expect, it } from "vitest";
import { LABEL } from "../../../src/model/labels.js";
import { tempFolder, writeMap } from "../../helpers/cli.js";
import { EXTRA_ENGINES, extraEngine, FIXTURE_IMAGES, SWARM, uniqueMapName } from "../../helpers/engine.js";
import { runJson } from "../../helpers/plan-json.js";
import { removeSwarmMapObjects } from "../../helpers/swarm-cleanup.js";

/**
 * `shutdown --volumes` on a swarm: the map's named volume pinned on e5 (a node client with its own
 * base_url) goes, after the completed job's task container that holds it; plain `shutdown` keeps it.
 */
const folder = tempFolder("swarm-volumes");
// e4 is a node client without an address: berth cannot reach its engine, and says so.
const clientsFile = writeMap(
  folder.dir,
  [
    `sw: {base_url: "${EXTRA_ENGINES[SWARM.manager]}", mode: swarm, node_label: ${SWARM.nodeLabel}}`,
    "e4: {swarm: sw}",
    `e5: {swarm: sw, base_url: "${EXTRA_ENGINES[SWARM.worker]}"}`,
    "",
  ].join("\n"),
  "swarm-clients.yaml",
);
const name = uniqueMapName("swvol");
const fileArgs = (file: string) => ["-f", file, "--clients", clientsFile];
const file = writeMap(
  folder.dir,
  `
name: ${name}
clients: [e5]
volumes: {data: {default_path: /data}}
fill:
  image: ${FIXTURE_IMAGES.base1}
  clients: [e5]
  persistent: true
  attaches: [data]
  command: [sh, -c, "echo filled > /data/x"]
`,
  `${name}.yaml`,
);
const e5 = () => extraEngine(SWARM.worker);
const volumesOnE5 = async () => (await e5().listVolumes({ [LABEL.map]: name })).map((v) => v.Name);

afterAll(async () => {
  await removeSwarmMapObjects(name);
  folder.remove();
});

describe("Swarm: shutdown --volumes", () => {
  it("keeps the node's volume on shutdown, removes it with --volumes, then plans nothing", async () => {
    const up = await runJson(fileArgs(file), "startup");
    expect(up.code, up.stderr).toBe(0);
    expect(await volumesOnE5()).toEqual([`${name}.data`]);

    const down = await runJson(fileArgs(file), "shutdown");
    expect(down.code, down.stderr).toBe(0);
    expect(down.plan.steps.map((s) => s.type)).not.toContain("remove-volume");
    expect(await volumesOnE5()).toEqual([`${name}.data`]);

    const wipe = await runJson(fileArgs(file), "shutdown", ["--volumes"]);
    expect(wipe.code, wipe.stderr).toBe(0);
    const removal = wipe.plan.steps.find((s) => s.type === "remove-volume");
    expect(removal?.object).toMatchObject({ client: "e5", name: `${name}.data`, key: "data" });
    // The completed job's task container held the volume: it goes first.
    const task = wipe.plan.steps.find((s) => s.type === "remove-container");
    expect(task?.object.client).toBe("e5");
    expect(removal?.after).toContain(task?.id);
    expect(wipe.plan.warnings.join("\n")).toMatch(/named volumes on `e4` \(no base_url or context/);
    expect(await volumesOnE5()).toEqual([]);

    const again = await runJson(fileArgs(file), "shutdown", ["--volumes"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.plan.steps).toEqual([]);
  });
});
