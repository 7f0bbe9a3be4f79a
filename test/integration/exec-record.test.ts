import { describe, expect, it } from "vitest";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";
import { runJson } from "../helpers/plan-json.js";
import { docker } from "../helpers/checker/docker-cli.js";

/**
 * Issue 14 item 6, on the real engine: berth records which exec commands ran in a container and
 * how they ended (the map's state record), and plans the rest — a failed command and the ones
 * after it run once the map is fixed, a command added to a running container runs without a
 * restart, and none of them runs twice.
 */
const workspace = mapWorkspace("exec-record");
const { engine } = workspace;

const mapText = (name: string, commands: string[]) => `
name: ${name}
app:
  image: ${FIXTURE_IMAGES.base1}
  exec_commands:
${commands.map((c) => `    - ${c}`).join("\n")}
`;

/** Lines of /tmp/log in the container: one per command run, in order. */
async function logLines(container: string): Promise<string[]> {
  const result = await engine.exec(container, ["sh", "-c", "cat /tmp/log 2>/dev/null; true"]);
  expect(result.exitCode, result.output).toBe(0);
  return result.output.split("\n").filter((l) => l !== "");
}

async function plan(file: string) {
  return berth(["-f", file, "plan", "--detailed-exitcode"]);
}

describe("the exec record", () => {
  it("a failed initial command fails the run; fixed in the map, update runs it and the later ones once", async () => {
    const name = workspace.name("exec-fail");
    const app = `${name}.app`;
    const commands = (middle: string) => [
      `{cmd: [sh, -c, "echo first >> /tmp/log"], policy: initial}`,
      `{cmd: [sh, -c, "${middle}"], policy: initial}`,
      `{cmd: [sh, -c, "echo last >> /tmp/log"], policy: initial}`,
    ];
    const file = workspace.write(name, mapText(name, commands("exit 3")));
    const failed = await berth(["-f", file, "update", "--progress", "quiet"]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("exited with code 3");
    expect(await logLines(app)).toEqual(["first"]);
    const id = (await engine.inspectContainer(app)).Id;

    // The next plan is not empty: the failed command and the one after it are planned again.
    const retry = await plan(file);
    expect(retry.code, retry.stdout).toBe(2);
    expect(retry.stdout).toContain("failed last time (exit 3)");
    expect(retry.stdout).toContain("has not run in this container");

    workspace.write(name, mapText(name, commands("echo middle >> /tmp/log")));
    const fixed = await runJson(["-f", file], "update");
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.plan.steps.filter((s) => s.type === "exec")).toHaveLength(2);
    // The same container (no recreate); `first` did not run again.
    expect((await engine.inspectContainer(app)).Id).toBe(id);
    expect(await logLines(app)).toEqual(["first", "middle", "last"]);

    const after = await plan(file);
    expect(after.stdout).toContain("No changes");
    expect(after.code).toBe(0);
  });

  it("a command added to (or edited in) a running container's map runs at the next update, once", async () => {
    const name = workspace.name("exec-add");
    const app = `${name}.app`;
    const file = workspace.write(name, mapText(name, [`[sh -c 'echo a >> /tmp/log', null, initial]`]));
    const first = await berth(["-f", file, "update", "--progress", "quiet"]);
    expect(first.code, first.stderr).toBe(0);
    expect(await logLines(app)).toEqual(["a"]);
    const startedAt = (await engine.inspectContainer(app)).State.StartedAt;

    workspace.write(
      name,
      mapText(name, [`[sh -c 'echo a >> /tmp/log', null, initial]`, `"sh -c 'echo b >> /tmp/log'"`]),
    );
    const added = await plan(file);
    expect(added.code, added.stdout).toBe(2);
    expect(added.stdout).toContain("will run exec commands");
    expect((await berth(["-f", file, "update", "--progress", "quiet"])).code).toBe(0);
    expect(await logLines(app)).toEqual(["a", "b"]);

    workspace.write(
      name,
      mapText(name, [`[sh -c 'echo a >> /tmp/log', null, initial]`, `"sh -c 'echo b2 >> /tmp/log'"`]),
    );
    expect((await berth(["-f", file, "update", "--progress", "quiet"])).code).toBe(0);
    expect(await logLines(app)).toEqual(["a", "b", "b2"]);
    // Never restarted for it.
    expect((await engine.inspectContainer(app)).State.StartedAt).toBe(startedAt);
    expect((await plan(file)).code).toBe(0);
  });
});

describe("dependents of a container whose exec command fails", () => {
  it("a replaced container's failing exec leaves no dependent with a dead link: it can restart", async () => {
    const name = workspace.name("exec-link");
    const mapOf = (serial: number, command: string) => `
name: ${name}
svc:
  image: ${FIXTURE_IMAGES.base1}
  environment: {SERIAL: "${serial}"}
  exec_commands: [{cmd: [sh, -c, "${command}"], policy: initial}]
linker:
  image: ${FIXTURE_IMAGES.base1}
  links: {svc: backend}
`;
    const file = workspace.write(name, mapOf(1, "true"));
    const first = await berth(["-f", file, "update", "--progress", "quiet"]);
    expect(first.code, first.stderr).toBe(0);
    const linkerBefore = (await engine.inspectContainer(`${name}.linker`)).Id;

    // svc is replaced (its environment changed) and its new command fails.
    workspace.write(name, mapOf(2, "exit 3"));
    const failed = await berth(["-f", file, "update", "--progress", "quiet"]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("exited with code 3");
    const linker = await engine.inspectContainer(`${name}.linker`);
    expect(linker.Id).not.toBe(linkerBefore);
    expect(linker.State.Running).toBe(true);
    // Bound to the new svc: the engine restarts it (with the old link it refused: "Cannot link
    // to a non running container").
    await docker("restart", "-t", "1", `${name}.linker`);
    expect((await engine.inspectContainer(`${name}.linker`)).State.Running).toBe(true);

    // What is left to do is the failed command only.
    const retry = await plan(file);
    expect(retry.code, retry.stdout).toBe(2);
    expect(retry.stdout).toContain("failed last time (exit 3)");
    expect(retry.stdout).not.toContain("linker");
  });

  it("`berth restart` of a container whose restart command fails starts its network_mode sharer again", async () => {
    const name = workspace.name("exec-restart");
    const mapOf = (command: string) => `
name: ${name}
svc:
  image: ${FIXTURE_IMAGES.base1}
  exec_commands: [{cmd: [sh, -c, "${command}"], policy: restart}]
side:
  image: ${FIXTURE_IMAGES.base1}
  network_mode: svc
`;
    const file = workspace.write(name, mapOf("true"));
    const first = await berth(["-f", file, "update", "--progress", "quiet"]);
    expect(first.code, first.stderr).toBe(0);

    workspace.write(name, mapOf("exit 3"));
    const restarted = await berth(["-f", file, "restart", "svc", "--progress", "quiet"]);
    expect(restarted.code).toBe(1);
    expect(restarted.stderr).toContain("exited with code 3");
    // berth stopped side to bring it into svc's new namespace: it runs again, in that namespace.
    const side = await engine.inspectContainer(`${name}.side`);
    const svc = await engine.inspectContainer(`${name}.svc`);
    expect(side.State.Running).toBe(true);
    expect(Date.parse(side.State.StartedAt)).toBeGreaterThanOrEqual(Date.parse(svc.State.StartedAt));
  });

  it("a depends_on dependent replaced with a dependency whose command fails keeps serving until it succeeds", async () => {
    const name = workspace.name("exec-dep");
    const mapOf = (serial: number, command: string) => `
name: ${name}
db:
  image: ${FIXTURE_IMAGES.base1}
  environment: {SERIAL: "${serial}"}
  exec_commands: [{cmd: [sh, -c, "${command}"], policy: initial}]
web:
  image: ${FIXTURE_IMAGES.base1}
  environment: {SERIAL: "${serial}"}
  depends_on: db
`;
    const file = workspace.write(name, mapOf(1, "true"));
    expect((await berth(["-f", file, "update", "--progress", "quiet"])).code).toBe(0);
    const oldWeb = (await engine.inspectContainer(`${name}.web`)).Id;

    workspace.write(name, mapOf(2, "exit 3"));
    const failed = await berth(["-f", file, "update", "--progress", "quiet"]);
    expect(failed.code).toBe(1);
    const web = await engine.inspectContainer(`${name}.web`);
    expect(web.Id).toBe(oldWeb);
    expect(web.State.Running).toBe(true);

    workspace.write(name, mapOf(2, "true"));
    const fixed = await berth(["-f", file, "update", "--progress", "quiet"]);
    expect(fixed.code, fixed.stderr).toBe(0);
    const replaced = await engine.inspectContainer(`${name}.web`);
    expect(replaced.Id).not.toBe(oldWeb);
    expect(replaced.State.Running).toBe(true);
    expect(replaced.Config.Env).toContain("SERIAL=2");
    const next = await plan(file);
    expect(next.code, next.stdout).toBe(0);
  });
});
