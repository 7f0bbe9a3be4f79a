import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";
import { changeLines, idsByName, planJson, runJson } from "../helpers/plan-json.js";

/**
 * Issue 16, a Dockerfile written in the map: berth generates it and a context of only the files
 * named (no folder needed); changing a named file rebuilds the image and recreates its container
 * with a reason naming the file; `berth build --print-dockerfile` shows the generated text.
 */
const ws = mapWorkspace("build-gen");

function mapText(mapName: string, image: string): string {
  return `
name: ${mapName}
app:
  image: ${image}
  build:
    from: ${FIXTURE_IMAGES.base1}
    env: {GREETING: "hello there"}
    workdir: /srv
    add: [{src: ${mapName}-greeting.txt, dest: /srv/greeting.txt}]
    run:
      - echo "$GREETING" > /srv/env.txt
      - |
        echo one > /srv/lines.txt
        echo two >> /srv/lines.txt
    cmd: [sleep, "3600"]
  stop_timeout: 1
`;
}

describe("a Dockerfile written in the map", () => {
  it("starts from a generated build, rebuilds when an added file changes, and prints the Dockerfile", async () => {
    const mapName = ws.name("gen");
    const image = `berth-test/${mapName}:1`;
    const added = join(ws.dir, `${mapName}-greeting.txt`);
    writeFileSync(added, "first\n");
    const file = ws.write(mapName, mapText(mapName, image));
    const files = ["-f", file];
    const container = `${mapName}.app`;

    const printed = await berth([...files, "build", "--print-dockerfile", "app"]);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toBe(
      [
        `FROM ${FIXTURE_IMAGES.base1}`,
        'ENV GREETING="hello there"',
        "WORKDIR /srv",
        `ADD ["files/0/${mapName}-greeting.txt","/srv/greeting.txt"]`,
        'RUN echo "$GREETING" > /srv/env.txt',
        'RUN ["/bin/sh","-c","echo one > /srv/lines.txt\\necho two >> /srv/lines.txt\\n"]',
        'CMD ["sleep","3600"]',
        "",
      ].join("\n"),
    );

    // `berth build` makes the image and no container; then there is nothing left to build.
    const built = await berth([...files, "build", "--progress", "plain"]);
    expect(built.code, built.stderr).toBe(0);
    expect((await ws.engine.listImages()).some((i) => (i.RepoTags ?? []).includes(image))).toBe(true);
    expect(await ws.engine.listContainers({ "berth.map": mapName, "berth.kind": "container" })).toEqual([]);
    const rebuilt = await berth([...files, "build", "--dry-run", "--json"]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect((JSON.parse(rebuilt.stdout) as { steps: unknown[] }).steps).toEqual([]);

    const started = await berth([...files, "startup", "--progress", "quiet"]);
    expect(started.code, started.stderr).toBe(0);
    const read = async (path: string) => {
      const result = await ws.engine.exec(container, ["cat", path]);
      expect(result.exitCode, result.output).toBe(0);
      return result.output;
    };
    expect(await read("/srv/greeting.txt")).toBe("first\n");
    expect(await read("/srv/env.txt")).toBe("hello there\n");
    expect(await read("/srv/lines.txt")).toBe("one\ntwo\n");
    expect((await planJson(files)).steps).toEqual([]);

    // The added file changes: the plan rebuilds, names the file, and recreates the container.
    const before = await idsByName(ws.engine, mapName);
    writeFileSync(added, "second\n");
    const plan = await planJson(files);
    expect(changeLines(plan)).toEqual([`build ${image}`, `recreate ${container}`]);
    const build = plan.changes.find((c) => c.change === "build");
    expect(build?.reasons.map((r) => r.message)).toEqual([`context file ${mapName}-greeting.txt changed`]);
    const app = plan.changes.find((c) => c.object.key === "app");
    expect(app?.reasons[0]?.message).toContain(`context file ${mapName}-greeting.txt changed`);

    const update = await runJson(files, "update");
    expect(update.code, update.stderr).toBe(0);
    expect((await idsByName(ws.engine, mapName))[container]).not.toBe(before[container]);
    expect(await read("/srv/greeting.txt")).toBe("second\n");
    expect((await planJson(files)).steps).toEqual([]);

    // A changed instruction rebuilds with the generated Dockerfile named.
    ws.write(mapName, mapText(mapName, image).replace("hello there", "hello again"));
    const changed = await planJson(files);
    const rebuild = changed.changes.find((c) => c.change === "build");
    expect(rebuild?.reasons.map((r) => r.message)).toEqual(["generated Dockerfile changed"]);
  });
});
