import { afterAll, describe, expect, it } from "vitest";
import { LABEL } from "../../src/model/labels.js";
import { berth, tempFolder, writeMap } from "../helpers/cli.js";
import { FIXTURE_IMAGES, removeMapObjects, testEngine, uniqueMapName } from "../helpers/engine.js";

/**
 * Owner and permissions of attached volumes: applied by a short-lived helper container before the
 * attaching container starts, and visible from inside that container.
 */
const engine = testEngine();
const mapName = uniqueMapName("safety-vol");
const failingMap = uniqueMapName("safety-vol-fail");
const folder = tempFolder("safety-vol");

afterAll(async () => {
  await removeMapObjects(engine, mapName);
  await removeMapObjects(engine, failingMap);
  folder.remove();
});

const seconds = (ms: number) => Math.floor(ms / 1000);

describe("owner and permissions of attached volumes", () => {
  it("prepares them with a helper container that is gone afterwards", async () => {
    const file = writeMap(
      folder.dir,
      `
name: ${mapName}
volumes:
  data: /data
  logs:
    default_path: /logs
    user: "65534"
    permissions: "0700"
app:
  image: /${FIXTURE_IMAGES.base1}
  attaches: [data, logs]
  user: 2000
  permissions: u=rwX,g=rX,o=
`,
    );
    const since = seconds(Date.now());
    const run = await berth(["-f", file, "update", "--progress", "plain"]);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);

    const container = `${mapName}.app`;
    // The container's own user and permissions apply to `data`; the volume's own win for `logs`.
    expect(await engine.exec(container, ["stat", "-c", "%u %a", "/data"])).toEqual({
      exitCode: 0,
      output: "2000 750\n",
    });
    expect(await engine.exec(container, ["stat", "-c", "%u %a", "/logs"])).toEqual({
      exitCode: 0,
      output: "65534 700\n",
    });
    // The container runs as 2000, which can now write to its volume.
    const write = await engine.exec(container, ["sh", "-c", "id -u && touch /data/probe && echo ok"]);
    expect(write).toEqual({ exitCode: 0, output: "2000\nok\n" });

    // The preparation ran in helper containers of this map, which are gone now.
    const helpers = await engine.listContainers({ [LABEL.map]: mapName, [LABEL.kind]: "helper" });
    expect(helpers).toEqual([]);
    // Besides the container, only the map's state record (the owner and mode berth applied).
    const names = (await engine.listContainers({ [LABEL.map]: mapName })).map((c) => c.Names[0]);
    expect(names.sort()).toEqual([`/berth-state.${mapName}`, `/${container}`]);
    const events = await engine.events({
      since,
      until: seconds(Date.now()) + 1,
      labels: { [LABEL.map]: mapName, [LABEL.kind]: "helper" },
    });
    const helperIds = new Set(events.filter((e) => e.Type === "container").map((e) => e.Actor.ID));
    expect(helperIds.size).toBe(2); // one per volume
    for (const id of helperIds) {
      const actions = events.filter((e) => e.Actor.ID === id).map((e) => e.Action);
      expect(actions).toEqual(expect.arrayContaining(["create", "start", "die", "destroy"]));
      expect(actions.at(-1)).toBe("destroy");
    }

    // Nothing left to do: the volumes are not prepared again.
    const plan = await berth(["-f", file, "plan", "--detailed-exitcode"]);
    expect(plan.stdout).toContain("No changes");
    expect(plan.code).toBe(0);
  });

  it("removes the helper container also when the preparation fails, and says why", async () => {
    const file = writeMap(
      folder.dir,
      `
name: ${failingMap}
volumes:
  data: /data
app:
  image: /${FIXTURE_IMAGES.base1}
  attaches: data
  user: nosuchuser
other:
  image: /${FIXTURE_IMAGES.base1}
`,
      "failing.yaml",
    );
    const run = await berth(["-f", file, "update", "--progress", "plain"]);
    expect(run.code).toBe(1);
    // The failure is one line (the helper's output included), after which only other errors follow.
    const lines = run.stderr.split("\n");
    const at = lines.findIndex((l) => l.startsWith("error: "));
    const error = lines[at] ?? "";
    expect(lines.slice(at + 1).filter((l) => l !== "" && !/^(error|warning): /.test(l))).toEqual([]);
    expect(error).toContain("default");
    expect(error).toContain(`volume ${failingMap}.data`);
    expect(error).toContain("prepare");
    expect(error).toMatch(/nosuchuser/);
    // The helper is gone; the container that needed the volume was not made; the other one runs.
    expect(await engine.listContainers({ [LABEL.map]: failingMap, [LABEL.kind]: "helper" })).toEqual([]);
    const left = await engine.listContainers({ [LABEL.map]: failingMap, [LABEL.kind]: "container" });
    expect(left.map((c) => `${c.Names[0]} ${c.State}`)).toEqual([`/${failingMap}.other running`]);
  });
});
