import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";

/**
 * Issue 16, `berth cleanup`: removes the map's exited containers the map no longer has and the
 * dangling images a rebuild left with the map's label — exactly those; `--dry-run` only lists.
 */
const ws = mapWorkspace("cleanup");
const foreign: string[] = [];
afterAll(async () => {
  for (const id of foreign) await ws.engine.removeContainer(id, { force: true }).catch(() => undefined);
});

function mapText(mapName: string, withOld: boolean): string {
  return `
name: ${mapName}
app:
  image: berth-test/${mapName}:1
  build:
    from: ${FIXTURE_IMAGES.base1}
    add: [{src: ${mapName}.txt, dest: /app.txt}]
  stop_timeout: 1
kept:
  image: ${FIXTURE_IMAGES.base1}
  stop_timeout: 1
${withOld ? `old:\n  image: ${FIXTURE_IMAGES.base1}\n  stop_timeout: 1\n` : ""}`;
}

const imageIds = async () => new Set((await ws.engine.listImages()).map((i) => i.Id));

describe("berth cleanup", () => {
  it("removes the map's exited orphans and its dangling rebuilt images, and nothing else", async () => {
    const mapName = ws.name("clean");
    const added = join(ws.dir, `${mapName}.txt`);
    writeFileSync(added, "one\n");
    const files = ["-f", ws.write(mapName, mapText(mapName, true))];
    const started = await berth([...files, "startup", "--progress", "quiet"]);
    expect(started.code, started.stderr).toBe(0);
    const firstImage = (await ws.engine.inspectContainer(`${mapName}.app`)).Image;

    // A rebuild leaves the first image untagged; `old` leaves the map, stopped; `kept` is stopped too.
    writeFileSync(added, "two\n");
    ws.write(mapName, mapText(mapName, false));
    const updated = await berth([...files, "update", "--progress", "quiet"]);
    expect(updated.code, updated.stderr).toBe(0);
    expect((await imageIds()).has(firstImage)).toBe(true);
    await ws.engine.stopContainer(`${mapName}.old`, 1);
    await ws.engine.stopContainer(`${mapName}.kept`, 1);
    // A foreign exited container with a name like the map's: never touched.
    const stranger = await ws.engine.createContainer(`${mapName}.stranger`, { Image: FIXTURE_IMAGES.base1 });
    foreign.push(stranger);

    const dry = await berth([...files, "cleanup", "--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    const short = firstImage.replace(/^sha256:/, "").slice(0, 12);
    expect(dry.stdout.trim().split("\n")).toEqual([
      `would remove container ${mapName}.old on default: exited, no longer in the map`,
      expect.stringMatching(new RegExp(`^would remove image ${short} on default: dangling`)),
    ]);
    expect(dry.stderr).toContain("cleanup: would remove 2 object(s)");
    expect((await ws.engine.inspectContainer(`${mapName}.old`)).Id).toBeDefined();

    const done = await berth([...files, "cleanup"]);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain(`removed container ${mapName}.old`);
    expect(done.stdout).toContain(`removed image ${short}`);
    await expect(ws.engine.inspectContainer(`${mapName}.old`)).rejects.toThrow();
    expect((await imageIds()).has(firstImage)).toBe(false);
    // Left alone: the map's stopped container it still has, the running one, the foreign one.
    expect((await ws.engine.inspectContainer(`${mapName}.kept`)).State.Running).toBe(false);
    expect((await ws.engine.inspectContainer(`${mapName}.app`)).State.Running).toBe(true);
    expect((await ws.engine.inspectContainer(stranger)).Id).toBe(stranger);

    const again = await berth([...files, "cleanup", "--dry-run"]);
    expect(again.stdout).toBe("");
  });
});
