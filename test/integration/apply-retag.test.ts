import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { isEngineNotFoundError } from "../../src/engine/engine-errors.js";
import { berth, tempFolder, writeMap } from "../helpers/cli.js";
import { FIXTURE_IMAGES, removeMapObjects, testEngine, uniqueMapName } from "../helpers/engine.js";
import { changeLines, idsByName, planJson, runJson } from "../helpers/plan-json.js";

/**
 * Issue "Apply", done-when 4: when the tag a config uses moves to another image, `update`
 * recreates exactly the containers made from it (and their stale dependents), nothing else.
 */
const engine = testEngine();
const mapName = uniqueMapName("retag");
const folder = tempFolder("retag");
const repository = `berth-test/retag-${randomBytes(4).toString("hex")}`;
const image = `${repository}:moving`;

const file = writeMap(
  folder.dir,
  `
name: ${mapName}
app:
  image: ${image}
  instances: [a, b]
linker:
  image: ${FIXTURE_IMAGES.base1}
  links: app.a
waiter:
  image: ${FIXTURE_IMAGES.base1}
  depends_on: app
plain:
  image: ${FIXTURE_IMAGES.base1}
`,
);
const files = ["-f", file];
const name = (key: string) => `${mapName}.${key}`;

afterAll(async () => {
  await removeMapObjects(engine, mapName);
  await engine.removeImage(image).catch((err: unknown) => {
    if (!isEngineNotFoundError(err)) throw err;
  });
  folder.remove();
});

describe("an image tag that moves", () => {
  it("recreates exactly the containers using the tag and their stale dependents", async () => {
    await engine.tagImage(FIXTURE_IMAGES.base1, repository, "moving");
    const started = await berth([...files, "startup", "--progress", "quiet"]);
    expect(started.code, started.stderr).toBe(0);
    const before = await idsByName(engine, mapName);
    expect(Object.keys(before).sort()).toEqual(["app.a", "app.b", "linker", "plain", "waiter"].map(name));
    expect(await engine.exec(name("app.a"), ["cat", "/VERSION"])).toEqual({ exitCode: 0, output: "1\n" });

    // Nothing changed in the map: only the tag now names base:2.
    await engine.tagImage(FIXTURE_IMAGES.base2, repository, "moving");
    const plan = await planJson(files);
    expect(changeLines(plan)).toEqual(["app.a", "app.b", "linker"].map((key) => `recreate ${name(key)}`));
    const appReasons = plan.changes.find((c) => c.object.key === "app.a")?.reasons ?? [];
    expect(appReasons).toEqual([expect.objectContaining({ field: "image" })]);
    expect(appReasons[0]?.message).toContain(image);
    const linkerReasons = plan.changes.find((c) => c.object.key === "linker")?.reasons ?? [];
    expect(linkerReasons).toHaveLength(1);
    expect(linkerReasons[0]?.cause).toMatchObject({ object: "app.a", change: "recreate", edge: "links" });
    // The image is there: nothing is pulled.
    expect(plan.steps.filter((s) => s.type === "pull-image")).toEqual([]);

    const update = await runJson(files, "update");
    expect(update.code, update.stderr).toBe(0);
    const after = await idsByName(engine, mapName);
    for (const key of ["app.a", "app.b", "linker"]) expect(after[name(key)], key).not.toBe(before[name(key)]);
    for (const key of ["waiter", "plain"]) expect(after[name(key)], key).toBe(before[name(key)]);
    for (const key of ["app.a", "app.b"]) {
      expect(await engine.exec(name(key), ["cat", "/VERSION"]), key).toEqual({ exitCode: 0, output: "2\n" });
    }
    expect(await engine.exec(name("linker"), ["cat", "/VERSION"])).toEqual({ exitCode: 0, output: "1\n" });

    const next = await planJson(files);
    expect(next.steps).toEqual([]);
  });
});
