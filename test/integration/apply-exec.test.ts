import { afterAll, describe, expect, it } from "vitest";
import { berth, tempFolder, writeMap } from "../helpers/cli.js";
import { FIXTURE_IMAGES, removeMapObjects, testEngine, uniqueMapName } from "../helpers/engine.js";
import { runJson } from "../helpers/plan-json.js";

/**
 * Issue "Apply", done-when 6: `exec_commands` — an `initial` command runs once after the
 * container is created, a `restart` command after every start; a failing command fails the run.
 */
const engine = testEngine();
const mapName = uniqueMapName("exec");
const failingMap = uniqueMapName("execfail");
const folder = tempFolder("exec");

const mapText = (value: string) => `
name: ${mapName}
app:
  image: ${FIXTURE_IMAGES.base1}
  environment: {V: "${value}"}
  exec_commands:
    - {cmd: [sh, -c, "echo run >> /tmp/initial.log"], policy: initial}
    - {cmd: [sh, -c, "echo run >> /tmp/restart.log"], policy: restart}
    - ["sh -c 'id -u >> /tmp/user.log'", app, restart]
`;

const file = writeMap(folder.dir, mapText("1"), "exec.yaml");
const files = ["-f", file];
const app = `${mapName}.app`;

async function run(...args: string[]) {
  const result = await berth([...files, ...args, "--progress", "quiet"]);
  expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
  return result;
}

/** Lines in each log file the exec commands append to. */
async function counts(): Promise<{ initial: number; restart: number; user: string }> {
  const result = await engine.exec(app, [
    "sh",
    "-c",
    "wc -l < /tmp/initial.log; wc -l < /tmp/restart.log; tr '\\n' ' ' < /tmp/user.log",
  ]);
  expect(result.exitCode, result.output).toBe(0);
  const [initial, restart, user] = result.output.split("\n");
  return { initial: Number(initial), restart: Number(restart), user: (user ?? "").trim() };
}

afterAll(async () => {
  await removeMapObjects(engine, mapName);
  await removeMapObjects(engine, failingMap);
  folder.remove();
});

describe("exec_commands", () => {
  it("runs initial commands once after create and restart commands after every start", async () => {
    const first = await runJson(files, "startup");
    expect(first.code, first.stderr).toBe(0);
    expect(first.plan.steps.filter((s) => s.type === "exec")).toHaveLength(3);
    expect(await counts()).toEqual({ initial: 1, restart: 1, user: "2000" });
    const id = (await engine.inspectContainer(app)).Id;

    // Nothing to do: nothing runs again.
    const again = await runJson(files, "startup");
    expect(again.plan.steps).toEqual([]);
    expect(await counts()).toEqual({ initial: 1, restart: 1, user: "2000" });

    const startedAt = (await engine.inspectContainer(app)).State.StartedAt;
    await run("restart");
    const restarted = await engine.inspectContainer(app);
    expect(restarted.Id).toBe(id);
    expect(restarted.State.StartedAt).not.toBe(startedAt);
    expect(await counts()).toEqual({ initial: 1, restart: 2, user: "2000 2000" });

    await run("stop");
    expect((await engine.inspectContainer(app)).State.Running).toBe(false);
    await run("start");
    expect(await counts()).toEqual({ initial: 1, restart: 3, user: "2000 2000 2000" });

    // A recreate makes a new container: its initial command runs once in it.
    writeMap(folder.dir, mapText("2"), "exec.yaml");
    await run("update");
    expect((await engine.inspectContainer(app)).Id).not.toBe(id);
    expect(await counts()).toEqual({ initial: 1, restart: 1, user: "2000" });
  });

  it("fails the run when a command exits with a non-zero code, naming container, command and code", async () => {
    const failing = writeMap(
      folder.dir,
      `
name: ${failingMap}
bad:
  image: ${FIXTURE_IMAGES.base1}
  exec_commands: "sh -c 'echo boom; exit 3'"
after:
  image: ${FIXTURE_IMAGES.base1}
  depends_on: bad
`,
      "failing.yaml",
    );
    const result = await berth(["-f", failing, "startup", "--progress", "quiet"]);
    expect(result.code).toBe(1);
    const error = result.stderr.split("\n").find((line) => line.startsWith("error:")) ?? "";
    expect(error).toContain(`${failingMap}.bad`);
    expect(error).toContain("sh -c 'echo boom; exit 3'");
    expect(error).toContain("exited with code 3");
    // The dependent waits for the exec (the container is ready after its commands): not started.
    const after = await engine.inspectContainer(`${failingMap}.after`).catch(() => undefined);
    expect(after?.State.Running ?? false).toBe(false);
  });
});
