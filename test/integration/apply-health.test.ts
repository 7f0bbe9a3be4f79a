import { afterAll, describe, expect, it } from "vitest";
import { LABEL } from "../../src/model/labels.js";
import { berth, tempFolder, writeMap } from "../helpers/cli.js";
import { FIXTURE_IMAGES, removeMapObjects, testEngine, uniqueMapName } from "../helpers/engine.js";
import { runJson } from "../helpers/plan-json.js";

/**
 * Issue "Apply", done-when 5: `depends_on: {db: {condition: healthy}}` gates the dependent's
 * start on the dependency's health, and a dependency that never gets healthy fails the run
 * within --wait-timeout with a message naming it.
 */
const engine = testEngine();
const healthyMap = uniqueMapName("health");
const sickMap = uniqueMapName("sick");
const folder = tempFolder("health");

const mapText = (mapName: string, readyAfter: number) => `
name: ${mapName}
db:
  image: ${FIXTURE_IMAGES.healthy}
  environment: {BERTH_READY_AFTER: "${readyAfter}"}
  healthcheck: {test: "test -f /tmp/ready", interval: 300ms, timeout: 2s, retries: 1000}
web:
  image: ${FIXTURE_IMAGES.base1}
  depends_on: {db: {condition: healthy}}
`;

/** Docker's RFC 3339 times carry nanoseconds; milliseconds are enough here. */
const millis = (time: string) => Date.parse(time);

afterAll(async () => {
  await removeMapObjects(engine, healthyMap);
  await removeMapObjects(engine, sickMap);
  folder.remove();
});

describe("depends_on with condition healthy", () => {
  it("starts the dependent only after the dependency reports healthy", async () => {
    const file = writeMap(folder.dir, mapText(healthyMap, 3), "healthy.yaml");
    const since = Math.floor(Date.now() / 1000) - 1;
    const run = await runJson(["-f", file], "startup");
    expect(run.code, run.stderr).toBe(0);
    const wait = run.plan.steps.find((s) => s.type === "wait-healthy");
    expect(wait).toMatchObject({ container: `${healthyMap}.db` });
    const start = run.plan.steps.find((s) => s.type === "start-container" && s.object.key === "web");
    expect(start?.after).toContain(wait?.id);

    const db = await engine.inspectContainer(`${healthyMap}.db`);
    const web = await engine.inspectContainer(`${healthyMap}.web`);
    expect(db.State.Health?.Status).toBe("healthy");
    expect(web.State.Running).toBe(true);

    // When db became healthy: the engine's health_status event (the health log keeps only the
    // last few checks, so it is a cross-check only).
    const events = await engine.events({
      since,
      until: Math.ceil(Date.now() / 1000) + 1,
      labels: { [LABEL.map]: healthyMap },
    });
    const healthy = events.find((e) => e.Actor.ID === db.Id && e.Action === "health_status: healthy");
    expect(healthy, "a health_status: healthy event of db").toBeDefined();
    const healthyAt = (healthy?.timeNano ?? (healthy?.time ?? 0) * 1e9) / 1e6;
    const webStartedAt = millis(web.State.StartedAt);
    expect(webStartedAt).toBeGreaterThan(healthyAt);
    // db needs about 3 s after its start before its first passing check.
    expect(healthyAt - millis(db.State.StartedAt)).toBeGreaterThanOrEqual(2500);
    const firstPass = (db.State.Health?.Log ?? []).find((entry) => entry.ExitCode === 0);
    if (firstPass !== undefined) expect(webStartedAt).toBeGreaterThan(millis(firstPass.End));
    const webStart = events.find((e) => e.Actor.ID === web.Id && e.Action === "start");
    expect(webStart?.timeNano ?? 0).toBeGreaterThan(healthy?.timeNano ?? Infinity);
  });

  it("fails the run within --wait-timeout when the dependency never gets healthy", async () => {
    const file = writeMap(folder.dir, mapText(sickMap, 100_000), "sick.yaml");
    const begin = Date.now();
    const run = await berth(["-f", file, "startup", "--progress", "quiet", "--wait-timeout", "4"]);
    const elapsed = Date.now() - begin;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${sickMap}.db`);
    expect(run.stderr).toContain("not healthy");
    // 4 s of waiting plus creating and starting two containers; far below the default 120 s.
    expect(elapsed).toBeLessThan(30_000);
    expect((await engine.inspectContainer(`${sickMap}.db`)).State.Health?.Status).toBe("starting");
    // The dependent was never started.
    const web = await engine.inspectContainer(`${sickMap}.web`).catch(() => undefined);
    expect(web === undefined || !web.State.Running).toBe(true);
    expect(web?.State.StartedAt ?? "0001-01-01T00:00:00Z").toBe("0001-01-01T00:00:00Z");
  });
});
