import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { berth, tempFolder, writeMap } from "../helpers/cli.js";
import { FIXTURE_IMAGES, removeMapObjects, testEngine, uniqueMapName } from "../helpers/engine.js";
import { expectPlanMatchesSchema, PLAN_SCHEMA_PATH, runJson } from "../helpers/plan-json.js";

/**
 * Issue "Observe and plan": every plan berth prints as JSON — `plan --json`, a plan saved with
 * `plan --out`, a dry run and the plan part of a run's `--json` — validates against
 * schemas/plan.schema.json.
 */
const engine = testEngine();
const mapName = uniqueMapName("schema");
const folder = tempFolder("schema");

const file = writeMap(
  folder.dir,
  `
name: ${mapName}
volumes:
  data: /data
networks:
  back: {}
db:
  image: ${FIXTURE_IMAGES.base1}
  attaches: data
  networks: back
  environment: {DB_PASSWORD: s3cr3t}
  healthcheck: {test: "true", interval: 1s}
web:
  image: ${FIXTURE_IMAGES.base1}
  networks: {back: {aliases: [www]}}
  uses: data
  exposes: 8080
  depends_on: {db: healthy}
  exec_commands: [{cmd: "true", policy: initial}]
`,
  "schema.yaml",
);
const files = ["-f", file];

afterAll(async () => {
  await removeMapObjects(engine, mapName);
  folder.remove();
});

describe("plans as JSON against schemas/plan.schema.json", () => {
  it("the schema file exists", () => {
    expect(existsSync(PLAN_SCHEMA_PATH), PLAN_SCHEMA_PATH).toBe(true);
  });

  it("plan --json validates for every action, and so does a saved plan", async () => {
    for (const action of ["update", "startup", "shutdown", "start", "stop", "restart", "remove", "kill"]) {
      const run = await berth([...files, "plan", "--json", "--action", action, "--remove-orphans"]);
      expect(run.code, `${action}: ${run.stderr}`).toBe(0);
      expect(expectPlanMatchesSchema(JSON.parse(run.stdout)), action).toBe(true);
    }
    const saved = join(folder.dir, "saved-plan.json");
    const save = await berth([...files, "plan", "--out", saved]);
    expect(save.code, save.stderr).toBe(0);
    expect(expectPlanMatchesSchema(JSON.parse(readFileSync(saved, "utf8")))).toBe(true);
    const dryRun = await berth([...files, "startup", "--dry-run", "--json"]);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(expectPlanMatchesSchema(JSON.parse(dryRun.stdout))).toBe(true);
  });

  it("the plan a run prints with --json validates too (its options are the plan's options only)", async () => {
    const run = await runJson(files, "startup", ["--parallel", "3", "--wait-timeout", "30"]);
    expect(run.code, run.stderr).toBe(0);
    expect(Object.keys(run.plan.options).sort()).toEqual(
      [
        "action",
        "build",
        "killSignal",
        "nonrecoverableExitCodes",
        "pull",
        "recreateVolumes",
        "refresh",
        "removeOrphans",
        "removeVolumes",
        "targets",
      ].sort(),
    );
    expect(expectPlanMatchesSchema(run.plan)).toBe(true);
    // The secret never shows in a plan.
    expect(run.stdout).not.toContain("s3cr3t");

    const shutdown = await runJson(files, "shutdown", ["--volumes"]);
    expect(shutdown.code, shutdown.stderr).toBe(0);
    expect(expectPlanMatchesSchema(shutdown.plan)).toBe(true);
  });
});
