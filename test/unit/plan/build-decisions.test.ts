import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readBuildContexts, type ContextDigest } from "../../../src/desired/build-context.js";
import { buildRecord, encodeBuildLabels } from "../../../src/desired/build-record.js";
import type { LoadedMap } from "../../../src/load-map.js";
import type { ResolvedBuild } from "../../../src/map/model.js";
import { decideBuild, type BuildDecisionInput } from "../../../src/plan/image-builds.js";
import { isPlanError } from "../../../src/plan/plan-context.js";
import { plan } from "../../../src/plan/plan.js";
import type { Plan, PlanOptions } from "../../../src/plan/plan-types.js";
import { mapOf } from "../../helpers/plan-fixtures.js";
import {
  applyPlan,
  engineOf,
  observeWorld,
  worldFor,
  type SimulatedWorld,
} from "../../helpers/simulated-engine.js";

const BASE = "berth-test/base:1";
const BASE_ID = "sha256:base1";
const build: ResolvedBuild = {
  context: "/ctx",
  dockerfile: "Dockerfile",
  args: { VERSION: "1", API_TOKEN: "hunter2-secret" },
  labels: {},
  tags: [],
  pull: false,
  noCache: false,
};
const context: ContextDigest = {
  files: { "app/main.py": "aaaa", "app/util.py": "bbbb" },
  filesDigest: "d1",
  dockerfile: "df1",
  bases: [BASE],
  instructions: [],
};

/** The labels of an image built from `build` and `context` (salted like a real build). */
function labelsOf(b: ResolvedBuild, c: ContextDigest, baseId = BASE_ID): Record<string, string> {
  return encodeBuildLabels(buildRecord(b, c, { [BASE]: baseId }, "salt-1", []));
}

function input(overrides: Partial<BuildDecisionInput> = {}): BuildDecisionInput {
  return {
    image: "app/web:1",
    build,
    context,
    imageId: "sha256:web",
    labels: labelsOf(build, context),
    images: { [BASE]: BASE_ID },
    rebuiltBases: [],
    update: true,
    mode: "auto",
    sensitive: [],
    ...overrides,
  };
}

const messages = (i: BuildDecisionInput) => decideBuild(i).reasons.map((r) => r.message);

describe("build decisions (plain data)", () => {
  it("build a missing image, and nothing when every recorded input is the same", () => {
    expect(decideBuild(input({ imageId: undefined }))).toMatchObject({ build: true });
    expect(decideBuild(input())).toEqual({ build: false, reasons: [] });
  });

  it("name the context files that changed, were added or removed", () => {
    const changed: ContextDigest = {
      ...context,
      files: { "app/main.py": "cccc", "app/new.py": "dddd" },
      filesDigest: "d2",
    };
    expect(messages(input({ context: changed }))).toEqual([
      "context file app/main.py changed",
      "context file app/new.py added",
      "context file app/util.py removed",
    ]);
  });

  it("show a plain argument's values and only the name of a sensitive one", () => {
    const next = { ...build, args: { VERSION: "2", API_TOKEN: "other-secret" } };
    const reasons = messages(input({ build: next }));
    expect(reasons).toEqual(["build arg API_TOKEN changed (sensitive)", "build arg VERSION: 1 → 2"]);
    expect(JSON.stringify(input().labels)).not.toContain("hunter2-secret");
  });

  it("see a changed Dockerfile, target and base image id", () => {
    expect(messages(input({ context: { ...context, dockerfile: "df2" } }))).toEqual(["Dockerfile changed"]);
    expect(messages(input({ build: { ...build, target: "prod" } }))).toEqual(["target: (last stage) → prod"]);
    expect(messages(input({ images: { [BASE]: "sha256:base2" } }))).toEqual([
      `base image ${BASE} now refers to base2 (built from base1)`,
    ]);
    expect(messages(input({ rebuiltBases: ["app/base:1"] }))).toEqual(["base image app/base:1 is rebuilt"]);
  });

  it("rebuild an image berth did not build, and with --build an unchanged one", () => {
    expect(decideBuild(input({ labels: {} })).build).toBe(true);
    expect(decideBuild(input({ mode: "always" }))).toEqual({
      build: true,
      reasons: [{ message: "--build was given" }],
    });
  });

  it("leave a changed image to update: startup reports it only", () => {
    const changed = { ...context, dockerfile: "df2" };
    expect(decideBuild(input({ update: false, context: changed }))).toEqual({
      build: false,
      reasons: [{ message: "Dockerfile changed" }],
    });
    expect(decideBuild(input({ update: false, imageId: undefined })).build).toBe(true);
  });
});

describe("build steps in plans (simulated engine)", () => {
  const root = mkdtempSync(join(tmpdir(), "berth-build-plan-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function contextAt(name: string, dockerfile: string): string {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "Dockerfile"), dockerfile);
    writeFileSync(join(dir, "main.txt"), "one\n");
    return dir;
  }

  const baseDir = contextAt("base", "FROM scratch\n");
  const webDir = contextAt("web", "FROM app/base:1\nCOPY main.txt /\n");
  const map = mapOf(`
base:
  image: app/base:1
  build: ${baseDir}
web:
  image: app/web:1
  build: {context: ${webDir}, args: {VERSION: "1"}}
  links: base
linker:
  image: ${BASE}
  links: web
other:
  image: ${BASE}
`);

  async function planOf(
    m: LoadedMap,
    world: SimulatedWorld,
    options: Partial<PlanOptions> = {},
  ): Promise<Plan> {
    const observed = await observeWorld(world);
    return plan({
      map: m,
      observed,
      options: { action: "update", ...options },
      builds: await readBuildContexts(m.resolved),
    });
  }

  function fresh(): SimulatedWorld {
    const world = worldFor(map, { images: false });
    engineOf(world).pullImage(BASE);
    return world;
  }

  it("build before the containers made from them, a map-built base first, and converge", async () => {
    const first = await planOf(map, fresh());
    const steps = new Map(first.steps.map((s) => [s.id, s]));
    const buildBase = first.steps.find((s) => s.type === "build-image" && s.image === "app/base:1");
    const buildWeb = first.steps.find((s) => s.type === "build-image" && s.image === "app/web:1");
    expect(buildWeb?.after).toContain(buildBase?.id);
    const createWeb = first.steps.find((s) => s.type === "create-container" && s.object.key === "web");
    expect(createWeb?.after).toContain(buildWeb?.id);
    expect([...steps.values()].filter((s) => s.type === "pull-image")).toEqual([]);

    const { world } = await applyPlan(fresh(), first, map);
    expect((await planOf(map, world)).steps).toEqual([]);

    // The base's context changes: both images are built again; web, base and linker recreated.
    writeFileSync(join(baseDir, "main.txt"), "two\n");
    const next = await planOf(map, world);
    const changes = next.changes.map((c) => `${c.change} ${c.object.name}`).sort();
    expect(changes).toEqual([
      "build app/base:1",
      "build app/web:1",
      "recreate app.base",
      "recreate app.linker",
      "recreate app.web",
    ]);
    const webBuild = next.changes.find((c) => c.change === "build" && c.object.name === "app/web:1");
    expect(webBuild?.reasons.map((r) => r.message)).toEqual(["base image app/base:1 is rebuilt"]);
    const applied = await applyPlan(world, next, map);
    expect((await planOf(map, applied.world)).steps).toEqual([]);
    writeFileSync(join(baseDir, "main.txt"), "one\n");
  });

  it("--no-build refuses a plan that must build, naming the image and why", async () => {
    await expect(planOf(map, fresh(), { build: "never" })).rejects.toSatisfy(
      (err: unknown) => isPlanError(err) && /app\/base:1 \(config base\) must be built/.test(String(err)),
    );
  });
});
