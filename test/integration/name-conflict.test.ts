import { afterAll, describe, expect, it } from "vitest";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";
import { planJson } from "../helpers/plan-json.js";

/**
 * Issue 14 item 9 on the real engine: a container berth did not make holds the name of one of the
 * map's containers. Targets that do not need the name are updated; a plan that needs it fails
 * naming the engine, the name and what to do; `status` shows the conflict as a state and exits 0.
 */
const workspace = mapWorkspace("name-conflict");
/** Containers this file makes without berth's labels: removed by id afterwards. */
const foreign: string[] = [];
afterAll(async () => {
  for (const id of foreign)
    await workspace.engine.removeContainer(id, { force: true }).catch(() => undefined);
});

const mapText = (mapName: string) => `
name: ${mapName}
db:
  image: ${FIXTURE_IMAGES.base1}
app:
  image: ${FIXTURE_IMAGES.base1}
  network_mode: db
other:
  image: ${FIXTURE_IMAGES.base1}
`;

interface StatusRow {
  key?: string;
  state: string;
  leftAsIs?: string[];
}

describe("a foreign container holding one config's name", () => {
  it("blocks only what needs the name; status shows it and exits 0", async () => {
    const mapName = workspace.name("conflict");
    const files = ["-f", workspace.write(mapName, mapText(mapName))];
    const name = `${mapName}.db`;
    const id = await workspace.engine.createContainer(name, { Image: FIXTURE_IMAGES.base1 });
    foreign.push(id);
    await workspace.engine.startContainer(id);

    const other = await berth([...files, "update", "other", "--progress", "quiet"]);
    expect(other.code, other.stderr).toBe(0);
    expect((await workspace.engine.inspectContainer(`${mapName}.other`)).State.Running).toBe(true);

    for (const targets of [[], ["app"]]) {
      const refused = await berth([...files, "update", ...targets, "--progress", "quiet"]);
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr).toContain(
        `engine default: container name ${name} is taken by container ${id.slice(0, 12)} (not created by berth)`,
      );
      expect(refused.stderr).toContain(`docker rename ${id.slice(0, 12)} NEW-NAME`);
      expect(refused.stderr).not.toMatch(/\n\s+at /);
    }
    // Nothing was touched: the holder runs as it did, app was never made.
    const holder = await workspace.engine.inspectContainer(name);
    expect(holder.Id).toBe(id);
    expect(holder.State.Running).toBe(true);
    expect(await workspace.engine.inspectContainer(`${mapName}.app`).catch(() => "missing")).toBe("missing");

    const status = await berth([...files, "status"]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(
      new RegExp(`${name.replace(/\./g, "\\.")}\\s+name taken by a foreign container`),
    );
    expect(status.stdout).toContain(`is taken by container ${id.slice(0, 12)} (not created by berth)`);
    const json = await berth([...files, "status", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as StatusRow[];
    const byKey = (key: string) => rows.find((r) => r.key === key);
    expect(byKey("db")?.state).toBe("name-taken");
    expect(byKey("app")?.state).toBe("missing");
    expect(byKey("app")?.leftAsIs).toEqual([
      "needs db, whose container name is taken by a foreign container: left as it is",
    ]);
    expect(byKey("other")).toMatchObject({ state: "running", outdated: [] });

    // Once the name is free, the map converges.
    await workspace.engine.removeContainer(id, { force: true });
    const updated = await berth([...files, "update", "--progress", "quiet"]);
    expect(updated.code, updated.stderr).toBe(0);
    expect((await planJson(files)).steps).toEqual([]);
  });
});
