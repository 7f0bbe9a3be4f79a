import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../../src/engine/engine-types.js";
import { LABEL } from "../../src/model/labels.js";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";

/**
 * A plan saved with `plan --out FILE` and applied later with `apply FILE`: carried out when nothing
 * it touches changed; refused — listing what changed, and changing nothing — when something did.
 */
const workspace = mapWorkspace("safety-plan");
const { engine } = workspace;

interface Setup {
  mapName: string;
  file: string;
  planFile: string;
  name: (config: string) => string;
}

/**
 * A map of three running containers, then pending changes: `a` and `c` are recreated (new image),
 * `b` is stopped by hand (to be started). The plan for them is saved.
 */
async function setUp(prefix: string): Promise<Setup> {
  const mapName = workspace.name(prefix);
  const mapText = (image: string) => `
name: ${mapName}
a:
  image: /${image}
b:
  image: /${FIXTURE_IMAGES.base1}
c:
  image: /${image}
`;
  const file = workspace.write(mapName, mapText(FIXTURE_IMAGES.base1));
  const first = await berth(["-f", file, "update", "--progress", "quiet"]);
  expect(first.code).toBe(0);
  workspace.write(mapName, mapText(FIXTURE_IMAGES.base2));
  const name = (config: string) => `${mapName}.${config}`;
  await engine.stopContainer(name("b"), 5);

  const planFile = join(workspace.dir, `${mapName}.plan.json`);
  const saved = await berth(["-f", file, "plan", "--out", planFile, "--detailed-exitcode"]);
  expect(saved.code).toBe(2);
  expect(saved.stdout).toMatch(/2 to recreate, 1 to start/);
  return { mapName, file, planFile, name };
}

interface ContainerState {
  id: string;
  state: string;
  image: string;
}

async function containers(mapName: string): Promise<Record<string, ContainerState>> {
  const out: Record<string, ContainerState> = {};
  for (const c of await engine.listContainers({ [LABEL.map]: mapName, [LABEL.kind]: "container" })) {
    out[(c.Names[0] ?? "").replace(/^\//, "")] = { id: c.Id, state: c.State, image: c.Image };
  }
  return out;
}

async function nextSecond(): Promise<number> {
  const now = Date.now();
  const next = Math.floor(now / 1000) + 1;
  await new Promise((resolve) => setTimeout(resolve, next * 1000 - now + 20));
  return next;
}

/** Events of the map's objects since `since`, leaving out berth's own lock container. */
async function changeEvents(mapName: string, since: number): Promise<EngineEvent[]> {
  const events = await engine.events({
    since,
    until: Math.floor(Date.now() / 1000) + 1,
    labels: { [LABEL.map]: mapName },
  });
  return events.filter((e) => e.Actor.Attributes?.[LABEL.kind] !== "lock");
}

describe("saved plans", () => {
  it("are applied when nothing changed since they were made", async () => {
    const { mapName, file, planFile, name } = await setUp("safety-plan-ok");
    const before = await containers(mapName);

    const applied = await berth(["apply", planFile, "--progress", "plain"]);
    expect(applied.stderr).not.toMatch(/error|out of date/);
    expect(applied.code).toBe(0);

    const after = await containers(mapName);
    expect(Object.keys(after).sort()).toEqual([name("a"), name("b"), name("c")]);
    expect(after[name("a")]).toMatchObject({ state: "running", image: FIXTURE_IMAGES.base2 });
    expect(after[name("a")]?.id).not.toBe(before[name("a")]?.id);
    expect(after[name("c")]).toMatchObject({ state: "running", image: FIXTURE_IMAGES.base2 });
    expect(after[name("b")]).toEqual({ ...before[name("b")], state: "running" });

    const plan = await berth(["-f", file, "plan", "--detailed-exitcode"]);
    expect(plan.code).toBe(0);
    // Applying the same plan again is refused: what it was made from is gone.
    const again = await berth(["apply", planFile]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("out of date");
  });

  it("are refused after a hand-made change to an object they touch, and change nothing", async () => {
    const { mapName, planFile, name } = await setUp("safety-plan-stop");
    // By hand: stop `a`, which the plan recreates.
    await engine.stopContainer(name("a"), 5);
    const before = await containers(mapName);

    const since = await nextSecond();
    const refused = await berth(["apply", planFile, "--progress", "plain"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("out of date");
    expect(refused.stderr).toContain(`container ${name("a")}: was running, is exited`);
    expect(refused.stderr).not.toContain(`container ${name("c")}`);
    expect(await containers(mapName)).toEqual(before);
    expect(await changeEvents(mapName, since)).toEqual([]);
  });

  it("are refused listing every object changed by hand", async () => {
    const { mapName, planFile, name } = await setUp("safety-plan-many");
    // By hand: remove `c` (to be recreated) and start `b` (to be started).
    await engine.removeContainer(name("c"), { force: true });
    await engine.startContainer(name("b"));
    const before = await containers(mapName);

    const since = await nextSecond();
    const refused = await berth(["apply", planFile]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`container ${name("c")}: is gone`);
    expect(refused.stderr).toContain(`container ${name("b")}: was exited, is running`);
    expect(refused.stderr).not.toContain(`container ${name("a")}:`);
    expect(await containers(mapName)).toEqual(before);
    expect(await changeEvents(mapName, since)).toEqual([]);
  });
});
