import { describe, expect, it } from "vitest";
import { loadMap, observeAndPlan, readOnly } from "../../src/index.js";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES, testEngine } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";
import { changeLines, planJson, runJson } from "../helpers/plan-json.js";

/**
 * Issue 14 item 1, on the real engine: a changed `user` or `permissions` of an attached volume (its
 * own, or the container's it follows) is repaired in place — the plan says so, `update` applies
 * it, nothing else is recreated, and a container recreated under the new uid can write. A chmod
 * made by hand is seen by `--refresh full`.
 */
const workspace = mapWorkspace("volume-owner");
const { engine } = workspace;
const mapName = workspace.name("volume-owner");

interface Owners {
  logsUser: string;
  logsMode: string;
  appUser: string;
  appMode: string;
}

const mapText = (o: Owners) => `
name: ${mapName}
volumes:
  data: /data
  logs: {default_path: /logs, user: "${o.logsUser}", permissions: "${o.logsMode}"}
app:
  image: ${FIXTURE_IMAGES.base1}
  attaches: data
  user: "${o.appUser}"
  permissions: "${o.appMode}"
store:
  image: ${FIXTURE_IMAGES.base1}
  attaches: logs
`;

const FIRST: Owners = { logsUser: "1000:1000", logsMode: "0750", appUser: "1000", appMode: "0750" };
const SECOND: Owners = { logsUser: "2000:2000", logsMode: "0700", appUser: "2000", appMode: "0770" };

const file = workspace.write(mapName, mapText(FIRST));
const files = ["-f", file];
const app = `${mapName}.app`;
const store = `${mapName}.store`;

/** `uid gid mode` of a path, read as root inside a container. */
async function statIn(container: string, path: string): Promise<string> {
  const result = await engine.exec(container, ["stat", "-c", "%u %g %a", path], { user: "0" });
  expect(result.exitCode, result.output).toBe(0);
  return result.output.trim();
}

async function update(...args: string[]) {
  const run = await runJson(files, "update", args);
  expect(run.code, run.stderr).toBe(0);
  return run;
}

async function expectNoChanges(...args: string[]) {
  const plan = await berth([...files, "plan", "--detailed-exitcode", ...args]);
  expect(plan.stdout, plan.stderr).toContain("No changes");
  expect(plan.code).toBe(0);
}

describe("owner and mode of attached volumes after a change", () => {
  it("repairs them in place, recreates only what changed otherwise, and the new uid can write", async () => {
    await update();
    expect(await statIn(store, "/logs")).toBe("1000 1000 750");
    expect(await statIn(app, "/data")).toBe("1000 0 750");
    await expectNoChanges();
    // A file made by root inside the volume: chown -R reaches it too.
    expect((await engine.exec(store, ["touch", "/logs/old-file"], { user: "0" })).exitCode).toBe(0);
    const storeId = (await engine.inspectContainer(store)).Id;
    const appId = (await engine.inspectContainer(app)).Id;

    workspace.write(mapName, mapText(SECOND));
    const plan = await planJson(files);
    expect(changeLines(plan, ["volume"]).sort()).toEqual([
      `prepare ${mapName}.data`,
      `prepare ${mapName}.logs`,
    ]);
    const logs = plan.changes.find((c) => c.object.name === `${mapName}.logs`);
    expect(logs?.reasons.slice(0, 2)).toEqual([
      { message: "user changed", field: "user", old: "1000:1000", new: "2000:2000" },
      { message: "permissions changed", field: "permissions", old: "0750", new: "0700" },
    ]);
    expect(logs?.reasons[2]?.message).toMatch(/repaired in place/);
    // The store container is not touched; app is recreated for its own user, after the repair.
    expect(
      plan.changes.filter((c) => c.object.kind === "container").map((c) => `${c.change} ${c.object.name}`),
    ).toEqual([`recreate ${app}`]);
    const text = await berth([...files, "plan"]);
    expect(text.stdout).toContain("repaired in place");

    const run = await update();
    expect(run.result.results.filter((r) => r.status !== "done")).toEqual([]);
    expect(await statIn(store, "/logs")).toBe("2000 2000 700");
    expect(await statIn(store, "/logs/old-file")).toMatch(/^2000 2000 /);
    expect(await statIn(app, "/data")).toBe("2000 0 770");
    expect((await engine.inspectContainer(store)).Id).toBe(storeId);
    expect((await engine.inspectContainer(app)).Id).not.toBe(appId);
    // The recreated container runs as the new uid and can write to its volume.
    const write = await engine.exec(app, ["sh", "-c", "id -u && touch /data/new-file && echo ok"]);
    expect(write).toEqual({ exitCode: 0, output: "2000\nok\n" });
    await expectNoChanges();
  });

  it("a chmod made by hand: not in the lists, seen and repaired with --refresh full", async () => {
    expect((await engine.exec(store, ["chmod", "0777", "/logs"], { user: "0" })).exitCode).toBe(0);
    await expectNoChanges();
    const plan = await planJson(files, ["--refresh", "full"]);
    expect(changeLines(plan)).toEqual([`prepare ${mapName}.logs`]);
    expect(plan.changes[0]?.reasons[0]).toEqual({
      message: "mode changed outside berth",
      field: "mode",
      old: "0777",
      new: "0700",
    });
    await update("--refresh", "full");
    expect(await statIn(store, "/logs")).toBe("2000 2000 700");
    await expectNoChanges("--refresh", "full");
  });

  it("costs nothing more in a normal plan; --refresh full reads one path per volume", async () => {
    const count = async (refresh: "labels" | "full") => {
      const fresh = testEngine();
      const { plan } = await observeAndPlan(
        loadMap({ files: [file] }),
        { default: readOnly(fresh) },
        { action: "update", refresh },
      );
      expect(plan.steps).toEqual([]);
      return fresh.calls.snapshot();
    };
    const lists = { "list containers": 1, "list images": 1, "list networks": 1, "list volumes": 1 };
    expect(await count("labels")).toEqual(lists);
    // Two containers inspected, the two volumes' folders read through the containers mounting them.
    expect(await count("full")).toEqual({ ...lists, "inspect container": 2, "read path owner": 2 });
  });
});
