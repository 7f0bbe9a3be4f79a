import { afterAll, describe, expect, it } from "vitest";
import { berth, tempFolder, writeMap } from "../helpers/cli.js";
import { FIXTURE_IMAGES, removeMapObjects, testEngine, uniqueMapName } from "../helpers/engine.js";
import { changeLines, idsByName, planJson, runJson } from "../helpers/plan-json.js";

/**
 * Issue "Apply", done-when 2: a change at a root recreates the root and exactly the dependents
 * that hold a reference to the old container (links, volumes_from, network_mode); dependents
 * through a named volume or depends_on keep their containers.
 */
const engine = testEngine();
const mapName = uniqueMapName("cascade");
const folder = tempFolder("cascade");

const mapText = (value: string) => `
name: ${mapName}
volumes:
  data: /data
root:
  image: ${FIXTURE_IMAGES.base1}
  attaches: data
  environment: {V: "${value}"}
linker:
  image: ${FIXTURE_IMAGES.base1}
  links: root
volfrom:
  image: ${FIXTURE_IMAGES.base1}
  uses: root
netmode:
  image: ${FIXTURE_IMAGES.base1}
  network_mode: root
voluser:
  image: ${FIXTURE_IMAGES.base1}
  uses: data
dep:
  image: ${FIXTURE_IMAGES.base1}
  depends_on: root
`;

afterAll(async () => {
  await removeMapObjects(engine, mapName);
  folder.remove();
});

const name = (key: string) => `${mapName}.${key}`;

describe("recreate cascade along stale-making edges", () => {
  it("recreates the root and its linked, volumes_from and network_mode dependents only", async () => {
    const file = writeMap(folder.dir, mapText("1"));
    const files = ["-f", file];
    const started = await berth([...files, "startup", "--progress", "quiet"]);
    expect(started.code, started.stderr).toBe(0);
    const before = await idsByName(engine, mapName);
    expect(Object.keys(before).sort()).toEqual(
      ["dep", "linker", "netmode", "root", "volfrom", "voluser"].map(name),
    );

    writeMap(folder.dir, mapText("2"));
    expect((await berth([...files, "plan", "--detailed-exitcode"])).code).toBe(2);
    const plan = await planJson(files);
    expect(changeLines(plan)).toEqual(
      ["linker", "netmode", "root", "volfrom"].map((key) => `recreate ${name(key)}`),
    );
    const reasons = (key: string) => plan.changes.find((c) => c.object.key === key)?.reasons ?? [];
    expect(reasons("root")).toEqual([
      expect.objectContaining({ field: "environment.V", old: "1", new: "2" }),
    ]);
    expect(reasons("linker")).toEqual([
      expect.objectContaining({ cause: { object: "root", change: "recreate", edge: "links" } }),
    ]);
    expect(reasons("volfrom")).toEqual([
      expect.objectContaining({ cause: { object: "root", change: "recreate", edge: "uses-container" } }),
    ]);
    expect(reasons("netmode")).toEqual([
      expect.objectContaining({ cause: { object: "root", change: "recreate", edge: "network-mode" } }),
    ]);

    const update = await runJson(files, "update");
    expect(update.code, update.stderr).toBe(0);
    expect(update.result.ok).toBe(true);

    const after = await idsByName(engine, mapName);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const key of ["root", "linker", "volfrom", "netmode"]) {
      expect(after[name(key)], `${key} is recreated`).not.toBe(before[name(key)]);
    }
    for (const key of ["voluser", "dep"]) {
      expect(after[name(key)], `${key} keeps its container`).toBe(before[name(key)]);
    }

    // Every container runs and answers, and the recreated dependents point at the new root.
    for (const [containerName, id] of Object.entries(after)) {
      const details = await engine.inspectContainer(id);
      expect(details.State.Running, containerName).toBe(true);
      expect(await engine.exec(id, ["cat", "/VERSION"]), containerName).toEqual({
        exitCode: 0,
        output: "1\n",
      });
    }
    const root = await engine.inspectContainer(name("root"));
    expect(await engine.exec(root.Id, ["sh", "-c", "echo $V; echo shared > /data/marker"])).toEqual({
      exitCode: 0,
      output: "2\n",
    });
    const rootIp = root.NetworkSettings.Networks?.bridge?.IPAddress ?? "";
    expect(rootIp).not.toBe("");
    const hosts = await engine.exec(name("linker"), ["cat", "/etc/hosts"]);
    expect(hosts.output).toMatch(new RegExp(`^${rootIp.replace(/\./g, "\\.")}\\s.*\\broot\\b`, "m"));
    expect((await engine.inspectContainer(name("netmode"))).HostConfig.NetworkMode).toBe(
      `container:${root.Id}`,
    );
    expect((await engine.inspectContainer(name("volfrom"))).HostConfig.VolumesFrom).toEqual([name("root")]);
    for (const key of ["volfrom", "voluser"]) {
      expect(await engine.exec(name(key), ["cat", "/data/marker"]), key).toEqual({
        exitCode: 0,
        output: "shared\n",
      });
    }

    const next = await planJson(files);
    expect(next.steps).toEqual([]);
    expect(next.changes).toEqual([]);
  });
});
