import { describe, expect, it } from "vitest";
import { digest } from "../../src/common/canonical-json.js";
import { LABEL } from "../../src/model/labels.js";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";
import { planJson } from "../helpers/plan-json.js";

/**
 * A network whose create_options change is made again by `update`, with the reason in the plan;
 * the map's containers on it are reconnected (same containers, same aliases) and still reach each
 * other by name; the next plan is empty. A network an older berth made is not recreated for its
 * older labels.
 */
const workspace = mapWorkspace("netrecreate");
const engine = workspace.engine;

const mapText = (mapName: string, team: string) => `
name: ${mapName}
networks:
  back:
    create_options: {labels: {team: ${team}}}
db:
  image: ${FIXTURE_IMAGES.base1}
  networks:
    back: {aliases: [database]}
app:
  image: ${FIXTURE_IMAGES.base1}
  networks:
    back: {aliases: [api]}
`;

/** Whether `from` reaches `to` by name on the map's networks (one ping). */
async function reaches(from: string, to: string): Promise<boolean> {
  const result = await engine.exec(from, ["ping", "-c", "1", "-W", "2", to]);
  return result.exitCode === 0;
}

async function networkOf(name: string) {
  const found = (await engine.listNetworks({ [LABEL.map]: true })).filter((n) => n.Name === name);
  expect(found).toHaveLength(1);
  return found[0] as (typeof found)[number];
}

describe("a network whose create_options changed", () => {
  it("plan shows its recreate with the reason; update converges; the next plan is empty", async () => {
    const mapName = workspace.name("labels");
    const file = workspace.write(mapName, mapText(mapName, "a"));
    const files = ["-f", file];
    const up = await berth([...files, "update", "--progress", "quiet"]);
    expect(up.code, up.stderr).toBe(0);
    const network = `${mapName}.back`;
    const before = await networkOf(network);
    const ids = await Promise.all(
      ["db", "app"].map(async (k) => (await engine.inspectContainer(`${mapName}.${k}`)).Id),
    );

    workspace.write(mapName, mapText(mapName, "b"));
    const plan = await planJson(files);
    const change = plan.changes.find((c) => c.object.kind === "network" && c.object.name === network);
    expect(change).toEqual({
      object: { kind: "network", name: network, client: "default", key: "back" },
      change: "recreate",
      reasons: [{ message: "labels changed", field: "labels", old: { team: "a" }, new: { team: "b" } }],
    });
    expect(plan.changes.filter((c) => c.change === "recreate").map((c) => c.object.kind)).toEqual([
      "network",
    ]);
    const shown = await berth([...files, "plan"]);
    expect(shown.stdout).toContain(`network ${network} will be recreated`);
    expect(shown.stdout).toContain('labels: {"team":"a"} → {"team":"b"}');

    const applied = await berth([...files, "update", "--progress", "quiet"]);
    expect(applied.code, applied.stderr).toBe(0);
    const after = await networkOf(network);
    expect(after.Id).not.toBe(before.Id);
    expect(after.Labels?.team).toBe("b");
    // The same containers, connected again with their aliases.
    for (const [i, key] of ["db", "app"].entries()) {
      const details = await engine.inspectContainer(`${mapName}.${key}`);
      expect(details.Id).toBe(ids[i]);
      expect(details.NetworkSettings.Networks?.[network]?.NetworkID).toBe(after.Id);
    }
    expect(await reaches(`${mapName}.app`, "database")).toBe(true);
    expect(await reaches(`${mapName}.db`, "api")).toBe(true);
    expect((await berth([...files, "plan", "--detailed-exitcode"])).code).toBe(0);
  });

  it("a network an older berth made (its older labels) is kept when the map did not change", async () => {
    const mapName = workspace.name("older");
    const file = workspace.write(mapName, mapText(mapName, "a"));
    // As berth 0.1 made it: the map's labels, ownership, and a digest of fewer fields.
    const older = {
      driver: "bridge",
      options: {},
      internal: false,
      ipv6: false,
      attachable: false,
      labels: { team: "a" },
    };
    await engine.createNetwork({
      Name: `${mapName}.back`,
      Driver: "bridge",
      CheckDuplicate: true,
      Labels: {
        team: "a",
        [LABEL.map]: mapName,
        [LABEL.kind]: "network",
        [LABEL.alias]: "back",
        [LABEL.specHash]: digest(older, 32),
        [LABEL.version]: "0.1.0",
      },
    });
    const plan = await planJson(["-f", file]);
    expect(plan.changes.filter((c) => c.object.kind === "network")).toEqual([]);
  });
});
