import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadMap } from "../../src/load-map.js";
import { reconcile } from "../../src/reconcile.js";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES, testEngine } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";
import { changeLines, idsByName, planJson, runJson } from "../helpers/plan-json.js";

/**
 * Issue 16, images from the map: a config's `build:` makes its image on a fresh engine; the image
 * is built again exactly when what it is built from changes (a context file as .dockerignore
 * selects them, a build argument), which recreates the containers made from it and their stale
 * dependents; a failed build names the config and the Dockerfile line and changes nothing else;
 * a sensitive build argument shows nowhere.
 */
const ws = mapWorkspace("build");
const SECRET = `s3cr3t-${randomBytes(6).toString("hex")}`;
const NEW_SECRET = `n3wsecret-${randomBytes(6).toString("hex")}`;

const DOCKERFILE = `FROM ${FIXTURE_IMAGES.base1}
ARG VERSION=0
COPY app /app
RUN echo "$VERSION" > /version
`;

function contextFolder(name: string): string {
  const dir = join(ws.dir, `ctx-${name}`);
  mkdirSync(join(dir, "app"), { recursive: true });
  writeFileSync(join(dir, "Dockerfile"), DOCKERFILE);
  writeFileSync(join(dir, ".dockerignore"), "# logs stay out of the image\napp/*.log\n");
  writeFileSync(join(dir, "app", "main.txt"), "one\n");
  return dir;
}

function mapText(mapName: string, image: string, args: { version: string; secret: string }): string {
  return `
name: ${mapName}
web:
  image: ${image}
  build:
    context: ctx-${mapName}
    args:
      VERSION: "${args.version}"
      BUILD_TOKEN: "${args.secret}"
  stop_timeout: 1
linker:
  image: ${FIXTURE_IMAGES.base1}
  links: web
  stop_timeout: 1
plain:
  image: ${FIXTURE_IMAGES.base1}
  stop_timeout: 1
`;
}

async function imageLabels(image: string): Promise<Record<string, string> | undefined> {
  const found = (await ws.engine.listImages()).find((i) => (i.RepoTags ?? []).includes(image));
  return found === undefined ? undefined : (found.Labels ?? {});
}

async function exec(container: string, command: string[]): Promise<string> {
  const result = await ws.engine.exec(container, command);
  expect(result.exitCode, result.output).toBe(0);
  return result.output;
}

describe("build: in the map", () => {
  it("builds on a fresh engine, rebuilds exactly on a context or argument change, and keeps secrets out", async () => {
    const mapName = ws.name("build");
    const image = `berth-test/${mapName}:1`;
    const context = contextFolder(mapName);
    const file = ws.write(mapName, mapText(mapName, image, { version: "1", secret: SECRET }));
    const files = ["-f", file];
    const name = (key: string) => `${mapName}.${key}`;
    const outputs: string[] = [];

    // A fresh engine: the image is built, then the container runs from it.
    const first = await berth([...files, "update", "--progress", "plain"]);
    outputs.push(first.stdout, first.stderr);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).not.toContain("Step 1/");
    expect(first.stderr).toContain("web | Step 1/");
    expect(await exec(name("web"), ["cat", "/app/main.txt", "/version"])).toBe("one\n1\n");
    const labels = await imageLabels(image);
    expect(labels?.["berth.map"]).toBe(mapName);
    expect(labels?.["berth.build"]).toBeDefined();

    // Nothing changed: the plan is empty, and an update makes no build call.
    expect((await planJson(files)).steps).toEqual([]);
    const counted = testEngine();
    const noop = await reconcile(loadMap({ files: [file] }), { default: counted }, { action: "update" });
    expect(noop.plan.steps).toEqual([]);
    expect(counted.calls.snapshot()["build image"] ?? 0).toBe(0);

    // A file .dockerignore leaves out changes nothing.
    writeFileSync(join(context, "app", "debug.log"), "noise\n");
    expect((await planJson(files)).steps).toEqual([]);

    // A context file changes: the image is built again, web and its linker are recreated.
    const before = await idsByName(ws.engine, mapName);
    writeFileSync(join(context, "app", "main.txt"), "two\n");
    const plan = await planJson(files);
    outputs.push(JSON.stringify(plan));
    expect(changeLines(plan)).toEqual([
      `build ${image}`,
      `recreate ${name("linker")}`,
      `recreate ${name("web")}`,
    ]);
    const build = plan.changes.find((c) => c.change === "build");
    expect(build?.reasons.map((r) => r.message)).toEqual(["context file app/main.txt changed"]);
    const web = plan.changes.find((c) => c.object.key === "web");
    expect(web?.reasons[0]).toMatchObject({ field: "image" });
    expect(web?.reasons[0]?.message).toContain("context file app/main.txt changed");
    const buildStep = plan.steps.find((s) => s.type === "build-image");
    const createWeb = plan.steps.find((s) => s.type === "create-container" && s.object.key === "web");
    expect(createWeb?.after).toContain(buildStep?.id);

    const update = await runJson(files, "update");
    outputs.push(update.stdout, update.stderr);
    expect(update.code, update.stderr).toBe(0);
    const after = await idsByName(ws.engine, mapName);
    expect(after[name("web")]).not.toBe(before[name("web")]);
    expect(after[name("linker")]).not.toBe(before[name("linker")]);
    expect(after[name("plain")]).toBe(before[name("plain")]);
    expect(await exec(name("web"), ["cat", "/app/main.txt"])).toBe("two\n");
    expect((await planJson(files)).steps).toEqual([]);

    // Build arguments change: the plan says which, never a sensitive value.
    ws.write(mapName, mapText(mapName, image, { version: "2", secret: NEW_SECRET }));
    const argPlan = await berth([...files, "plan"]);
    outputs.push(argPlan.stdout, argPlan.stderr);
    expect(argPlan.stdout).toContain("build arg VERSION: 1 → 2");
    expect(argPlan.stdout).toContain("build arg BUILD_TOKEN changed (sensitive)");
    const argUpdate = await berth([...files, "update", "--progress", "plain"]);
    outputs.push(argUpdate.stdout, argUpdate.stderr);
    expect(argUpdate.code, argUpdate.stderr).toBe(0);
    expect(await exec(name("web"), ["cat", "/version"])).toBe("2\n");
    expect((await planJson(files)).steps).toEqual([]);

    // --build rebuilds though nothing changed; --no-build refuses a plan that must build.
    const forced = await planJson(files, ["--build"]);
    expect(changeLines(forced)).toContain(`build ${image}`);
    writeFileSync(join(context, "app", "main.txt"), "three\n");
    const refused = await berth([...files, "update", "--no-build"]);
    outputs.push(refused.stdout, refused.stderr);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("--no-build");
    writeFileSync(join(context, "app", "main.txt"), "two\n");

    // The secret is in no output and in no label, the old one neither.
    const config = await berth([...files, "config"]);
    outputs.push(config.stdout, config.stderr);
    const allLabels = JSON.stringify(await imageLabels(image));
    for (const secret of [SECRET, NEW_SECRET]) {
      for (const text of [...outputs, allLabels]) expect(text).not.toContain(secret);
    }
  });

  it("reports a failing RUN with its config and Dockerfile line, and leaves the containers alone", async () => {
    const mapName = ws.name("build-fail");
    const image = `berth-test/${mapName}:1`;
    const context = contextFolder(mapName);
    const file = ws.write(mapName, mapText(mapName, image, { version: "1", secret: SECRET }));
    const files = ["-f", file];
    const started = await berth([...files, "startup", "--progress", "quiet"]);
    expect(started.code, started.stderr).toBe(0);
    const before = await idsByName(ws.engine, mapName);

    writeFileSync(join(context, "Dockerfile"), `${DOCKERFILE}RUN echo failing && exit 3\n`);
    const failed = await berth([...files, "update", "--progress", "plain"]);
    expect(failed.code).toBe(1);
    const error = failed.stderr.split("\n").find((line) => line.startsWith("error:")) ?? "";
    expect(error).toContain("config web");
    expect(error).toContain(`${context}/Dockerfile:5 (RUN echo failing && exit 3)`);
    expect(error).toContain("returned a non-zero code: 3");
    expect(failed.stderr).not.toContain(SECRET);

    // Nothing made from the image was touched: same containers, still running.
    expect(await idsByName(ws.engine, mapName)).toEqual(before);
    const rows = await ws.engine.listContainers({ "berth.map": mapName });
    for (const row of rows.filter((r) => r.Labels?.["berth.kind"] === "container"))
      expect(row.State, row.Names[0]).toBe("running");
    rmSync(context, { recursive: true, force: true });
  });
});
