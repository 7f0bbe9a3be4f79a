import { describe, expect, it } from "vitest";
import { decodeMapState, execDigest, type MapState } from "../../../src/desired/map-state.js";
import { LABEL } from "../../../src/model/labels.js";
import type { Plan } from "../../../src/plan/plan-types.js";
import { execsToRun } from "../../../src/plan/exec-steps.js";
import {
  changeOf,
  deployed,
  mapOf,
  planWorld,
  stepsOfType,
  stepSummary,
} from "../../helpers/plan-fixtures.js";
import { applyPlan, engineOf, worldFor, type SimulatedWorld } from "../../helpers/simulated-engine.js";
import type { LoadedMap } from "../../../src/load-map.js";

/**
 * Issue 14 item 6: berth records, per container id, which exec commands ran and how they ended
 * (the map's state record), and plans the rest: a failed command runs again, an added or edited
 * one runs in a running container, one that ran does not run again.
 */

const FAILING = `
app:
  image: app:1
  exec_commands:
    - [touch /first, null, initial]
    - [sh -c 'exit 3', null, initial]
    - [touch /last, null, initial]
`;

/** Plans (update) and applies, failures allowed; returns the plan, the world and what failed. */
async function run(map: LoadedMap, world: SimulatedWorld) {
  const made = await planWorld(map, world);
  const applied = await applyPlan(world, made, map, { allowFailures: true });
  return { made, world: applied.world, failed: Object.keys(applied.failed) };
}

function recordOf(world: SimulatedWorld): MapState | undefined {
  const state = engineOf(world).named("berth-state.app");
  return decodeMapState(state.labels);
}

const execTexts = (made: Plan) => stepsOfType(made, "exec").map((s) => s.text);

describe("which exec commands run (plain data)", () => {
  const commands =
    mapOf(`
app:
  image: app:1
  exec_commands: [[init, null, initial], [again, null, restart]]
`).resolved.containers[0]?.execCommands ?? [];
  const [init, again] = commands.map((c) => execDigest(c));
  const texts = (list: { exec: { text: string } }[]) => list.map((c) => c.exec.text);

  it("after a create, every command runs", () => {
    expect(texts(execsToRun(commands, { kind: "created", made: "x" }, {}))).toEqual(["init", "again"]);
  });

  it("after a start, restart commands run, and initial ones only if they have not succeeded", () => {
    const started = { kind: "started", id: "c1" } as const;
    expect(texts(execsToRun(commands, started, { [init as string]: 0 }))).toEqual(["again"]);
    expect(texts(execsToRun(commands, started, { [init as string]: 2 }))).toEqual(["init", "again"]);
  });

  it("in a running container, what has not succeeded runs, with its reason", () => {
    const running = { kind: "running", id: "c1" } as const;
    expect(execsToRun(commands, running, { [init as string]: 0, [again as string]: 0 })).toEqual([]);
    expect(
      execsToRun(commands, running, { [init as string]: 3, [again as string]: null }).map((c) => c.reason),
    ).toEqual([
      { message: "exec `init` failed last time (exit 3)" },
      { message: "exec `again` failed last time" },
    ]);
    expect(execsToRun(commands, running, {}).map((c) => c.reason?.message)).toEqual([
      "exec `init` has not run in this container (added or edited since)",
      "exec `again` has not run in this container (added or edited since)",
    ]);
  });

  it("a command is known by its arguments and user, not its policy", () => {
    const [first] = commands;
    if (first === undefined) throw new Error("no command");
    expect(execDigest({ ...first, policy: "restart" } as typeof first)).toBe(execDigest(first));
    expect(execDigest({ ...first, user: "nobody" })).not.toBe(execDigest(first));
    expect(execDigest({ ...first, cmd: ["init", "--again"] })).not.toBe(execDigest(first));
  });
});

describe("the exec record (simulated engine)", () => {
  it("a failed initial command fails the run, is recorded as failed, and runs again with the ones after it", async () => {
    const map = mapOf(FAILING);
    const first = await run(map, worldFor(map));
    expect(first.failed).toHaveLength(1);
    expect(engineOf(first.world).named("app.app").execs).toEqual(["touch /first", "sh -c exit 3"]);
    const id = engineOf(first.world).named("app.app").id;
    expect(Object.values(recordOf(first.world)?.exec?.[id] ?? {}).sort()).toEqual([0, 3]);

    const again = await planWorld(map, first.world);
    expect(execTexts(again)).toEqual(["sh -c 'exit 3'", "touch /last"]);
    expect(changeOf(again, "app", "exec").reasons).toEqual([
      { message: "exec `sh -c 'exit 3'` failed last time (exit 3)" },
      { message: "exec `touch /last` has not run in this container (added or edited since)" },
    ]);
    expect(stepSummary(again)).toEqual(["exec app", "exec app", "record-state berth-state.app"]);
  });

  it("once the failing command is fixed in the map, update runs it and the later ones; then the plan is empty", async () => {
    const broken = mapOf(FAILING);
    const first = await run(broken, worldFor(broken));
    const fixed = mapOf(FAILING.replace("exit 3", "exit 0"));
    const second = await run(fixed, first.world);
    expect(second.failed).toEqual([]);
    expect(execTexts(second.made)).toEqual(["sh -c 'exit 0'", "touch /last"]);
    // No recreate: the same container, `touch /first` not run twice.
    expect(engineOf(second.world).named("app.app").execs).toEqual([
      "touch /first",
      "sh -c exit 3",
      "sh -c exit 0",
      "touch /last",
    ]);
    expect((await planWorld(fixed, second.world)).steps).toEqual([]);
  });

  it("a command added to a running container's map runs without a restart; one already run does not", async () => {
    const before = mapOf(`app: {image: "app:1", exec_commands: [[touch /a, null, initial]]}`);
    const world = await deployed(before);
    expect((await planWorld(before, world)).steps).toEqual([]);
    const after = mapOf(`app: {image: "app:1", exec_commands: [[touch /a, null, initial], touch /b]}`);
    const made = await planWorld(after, world);
    expect(stepSummary(made)).toEqual(["exec app", "record-state berth-state.app"]);
    expect(execTexts(made)).toEqual(["touch /b"]);
    expect(changeOf(made, "app", "exec").reasons).toEqual([
      { message: "exec `touch /b` has not run in this container (added or edited since)" },
    ]);
    const applied = await applyPlan(world, made, after);
    expect(engineOf(applied.world).named("app.app").execs).toEqual(["touch /a", "touch /b"]);
    expect((await planWorld(after, applied.world)).steps).toEqual([]);
  });

  it("an edited command (initial or restart) runs in the running container", async () => {
    const before = mapOf(`app: {image: "app:1", exec_commands: [[touch /a, null, initial], touch /r]}`);
    const world = await deployed(before);
    const after = mapOf(`app: {image: "app:1", exec_commands: [[touch /a2, null, initial], touch /r2]}`);
    const made = await planWorld(after, world);
    expect(execTexts(made)).toEqual(["touch /a2", "touch /r2"]);
    expect(made.summary.recreate).toBe(0);
    const applied = await applyPlan(world, made, after);
    expect((await planWorld(after, applied.world)).steps).toEqual([]);
  });

  it("a failed restart command runs again in the running container", async () => {
    const map = mapOf(`app: {image: "app:1", exec_commands: ["sh -c 'exit 4'"]}`);
    const first = await run(map, worldFor(map));
    expect(first.failed).toHaveLength(1);
    const again = await planWorld(map, first.world);
    expect(changeOf(again, "app", "exec").reasons).toEqual([
      { message: "exec `sh -c 'exit 4'` failed last time (exit 4)" },
    ]);
  });

  it("a recreated container runs every command again (the record is by container id)", async () => {
    const map = mapOf(
      `app: {image: "app:1", environment: {V: "1"}, exec_commands: [[touch /a, null, initial]]}`,
    );
    const world = await deployed(map);
    const edited = mapOf(
      `app: {image: "app:1", environment: {V: "2"}, exec_commands: [[touch /a, null, initial]]}`,
    );
    const made = await planWorld(edited, world);
    expect(made.summary.recreate).toBe(1);
    expect(execTexts(made)).toEqual(["touch /a"]);
    const applied = await applyPlan(world, made, edited);
    expect((await planWorld(edited, applied.world)).steps).toEqual([]);
    // The old container's entry is dropped at the next write, not kept forever.
    const ids = Object.keys(recordOf(applied.world)?.exec ?? {});
    expect(ids).toEqual([engineOf(applied.world).named("app.app").id]);
  });

  it("a start of a stopped container does not run an initial command again once it succeeded", async () => {
    const map = mapOf(`app: {image: "app:1", exec_commands: [[touch /a, null, initial], touch /r]}`);
    const world = await deployed(map);
    engineOf(world).stopContainer("app.app", 137);
    const made = await planWorld(map, world);
    expect(execTexts(made)).toEqual(["touch /r"]);
  });

  it("the record holds digests of the commands, not their text", async () => {
    const map = mapOf(`app: {image: "app:1", exec_commands: ["sh -c 'echo hunter2 > /x'"]}`);
    const world = await deployed(map);
    const label = engineOf(world).named("berth-state.app").labels[LABEL.state] ?? "";
    expect(label).not.toContain("hunter2");
    expect(Object.keys(recordOf(world)?.exec ?? {})).toHaveLength(1);
  });
});

describe("the exec reasons and secrets", () => {
  it("a secret's value written in a command does not show in the plan's reasons", async () => {
    const text = (cmd: string) => `
app:
  image: app:1
  environment: {DB_PASSWORD: hunter2-value}
  exec_commands: ["${cmd}"]
`;
    const world = await deployed(mapOf(text("touch /a")));
    const made = await planWorld(mapOf(text("sh -c 'echo hunter2-value > /x'")), world);
    const reasons = changeOf(made, "app", "exec").reasons.map((r) => r.message);
    expect(reasons).toEqual([
      "exec `sh -c 'echo (sensitive) > /x'` has not run in this container (added or edited since)",
    ]);
  });
});
