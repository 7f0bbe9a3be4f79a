import { describe, expect, it } from "vitest";
import type { StepResult } from "../../src/index.js";
import { LABEL } from "../../src/model/labels.js";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";

/**
 * A step that fails at apply time: the branch that does not depend on it completes, what depends on
 * it is skipped, the run exits with 1 and says which engine, object and step failed and why. Once
 * the map is fixed, the next update converges.
 */
const workspace = mapWorkspace("safety-fail");
const { engine } = workspace;

const SERVE = `[sh, -c, 'trap "exit 0" TERM; sleep 1000 & wait']`;

/** The map's containers (not its lock or state record) by name, with their state. */
async function states(mapName: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of await engine.listContainers({ [LABEL.map]: mapName, [LABEL.kind]: "container" })) {
    out[(c.Names[0] ?? c.Id).replace(/^\//, "")] = c.State;
  }
  return out;
}

function results(stdout: string): StepResult[] {
  return (JSON.parse(stdout) as { result: { results: StepResult[] } }).result.results;
}

function statusOf(all: StepResult[], type: string, name: string): string | undefined {
  return all.find((r) => r.type === type && r.object.name === name)?.status;
}

describe("a failure in one branch", () => {
  it("completes the independent branch, skips dependents, names what failed; a fixed map converges", async () => {
    const mapName = workspace.name("safety-fail");
    const mapText = (command: string) => `
name: ${mapName}
bad:
  image: /${FIXTURE_IMAGES.base1}
  command: ${command}
dep:
  image: /${FIXTURE_IMAGES.base1}
  depends_on: bad
good:
  image: /${FIXTURE_IMAGES.base1}
`;
    const file = workspace.write(mapName, mapText("/no/such/binary"));

    const run = await berth(["-f", file, "update", "--json", "--progress", "plain"]);
    expect(run.code).toBe(1);
    const bad = `${mapName}.bad`;
    const dep = `${mapName}.dep`;
    const good = `${mapName}.good`;
    const steps = results(run.stdout);
    expect(statusOf(steps, "start-container", bad)).toBe("failed");
    expect(statusOf(steps, "start-container", dep)).toBe("skipped");
    expect(statusOf(steps, "start-container", good)).toBe("done");
    expect(steps.find((r) => r.object.name === dep && r.type === "start-container")?.message).toContain(
      "start-container:default/" + bad,
    );

    // One error line naming the engine, the object, the step and the engine's own message.
    const errors = run.stderr.split("\n").filter((l) => l.startsWith("error: "));
    expect(errors).toHaveLength(1);
    const error = errors[0] as string;
    expect(error).toContain("default"); // engine
    expect(error).toContain(bad); // object
    expect(error).toMatch(/start/); // step
    expect(error).toContain('exec: "/no/such/binary"'); // the engine's message
    expect(error).toContain("no such file or directory");
    expect(run.stderr).toMatch(/1 failed, 1 skipped or cancelled/);

    const after = await states(mapName);
    expect(after[good]).toBe("running");
    expect(after[bad]).not.toBe("running");
    expect(after[dep] ?? "missing").not.toBe("running");

    // Fix the cause in the map: the next update converges, and then nothing is left to do.
    workspace.write(mapName, mapText(SERVE));
    const fixed = await berth(["-f", file, "update", "--progress", "plain"]);
    expect(fixed.stderr).not.toMatch(/error/);
    expect(fixed.code).toBe(0);
    expect(await states(mapName)).toEqual({ [bad]: "running", [dep]: "running", [good]: "running" });
    const plan = await berth(["-f", file, "plan", "--detailed-exitcode"]);
    expect(plan.stdout).toContain("No changes");
    expect(plan.code).toBe(0);
  });

  it("reports a failing exec with its command, exit code and output, and skips what waits for it", async () => {
    const mapName = workspace.name("safety-exec");
    const mapText = (exec: string) => `
name: ${mapName}
setup:
  image: /${FIXTURE_IMAGES.base1}
  exec_commands:
    - ${exec}
web:
  image: /${FIXTURE_IMAGES.base1}
  depends_on: setup
other:
  image: /${FIXTURE_IMAGES.base1}
`;
    const file = workspace.write(mapName, mapText(`"sh -c 'echo cannot migrate >&2; exit 3'"`));
    const run = await berth(["-f", file, "update", "--json", "--progress", "quiet"]);
    expect(run.code).toBe(1);
    const setup = `${mapName}.setup`;
    const web = `${mapName}.web`;
    const steps = results(run.stdout);
    expect(statusOf(steps, "exec", setup)).toBe("failed");
    expect(statusOf(steps, "start-container", web)).toBe("skipped");
    expect(statusOf(steps, "start-container", `${mapName}.other`)).toBe("done");
    const error = run.stderr.split("\n").find((l) => l.startsWith("error: ")) ?? "";
    expect(error).toMatch(/^error: default: exec container /);
    expect(error).toContain(setup);
    expect(error).toContain("exited with code 3");
    expect(error).toContain("cannot migrate");
    expect((await states(mapName))[`${mapName}.other`]).toBe("running");

    workspace.write(mapName, mapText(`"sh -c 'exit 0'"`));
    const fixed = await berth(["-f", file, "update", "--progress", "plain"]);
    expect(fixed.code).toBe(0);
    expect(Object.values(await states(mapName))).toEqual(["running", "running", "running"]);
    const plan = await berth(["-f", file, "plan", "--detailed-exitcode"]);
    expect(plan.code).toBe(0);
  });
});
