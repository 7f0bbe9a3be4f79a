import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockName } from "../../src/apply/engine-lock.js";
import type { EngineEvent } from "../../src/engine/engine-types.js";
import { LABEL } from "../../src/model/labels.js";
import { berth, tempFolder, writeMap } from "../helpers/cli.js";
import { FIXTURE_IMAGES, removeMapObjects, testEngine, uniqueMapName } from "../helpers/engine.js";

/**
 * `--dry-run`, `plan` and `status` change nothing: the same containers (ids, states) before and
 * after, and not one engine event about the map's objects in between — also when the map has
 * pending changes, so that a dry run has something it could have done.
 */
const engine = testEngine();
const mapName = uniqueMapName("safety-ro");
const folder = tempFolder("safety-ro");
let file = "";

const container = (config: string) => `${mapName}.${config}`;

function mapText(options: { pending: boolean }): string {
  const { pending } = options;
  return `
name: ${mapName}
volumes:
  data: /data
networks:
  back: {}
${pending ? "  front: {}\n" : ""}
keep:
  image: /${FIXTURE_IMAGES.base1}
  attaches: data
  networks: back
changed:
  image: /${pending ? FIXTURE_IMAGES.base2 : FIXTURE_IMAGES.base1}
  environment: { MODE: ${pending ? "new" : "old"} }
stopped:
  image: /${FIXTURE_IMAGES.base1}
  depends_on: keep
${pending ? `added:\n  image: /${FIXTURE_IMAGES.base1}\n  networks: front\n` : ""}`;
}

beforeAll(async () => {
  file = writeMap(folder.dir, mapText({ pending: false }));
  const run = await berth(["-f", file, "update", "--progress", "quiet"]);
  expect(run.stderr).not.toMatch(/error/);
  expect(run.code).toBe(0);
});

afterAll(async () => {
  await removeMapObjects(engine, mapName);
  folder.remove();
});

interface Snapshot {
  containers: Record<string, { id: string; state: string; image: string }>;
  volumes: string[];
  networks: string[];
}

async function snapshot(): Promise<Snapshot> {
  const containers: Snapshot["containers"] = {};
  for (const c of await engine.listContainers({ [LABEL.map]: mapName })) {
    containers[(c.Names[0] ?? "").replace(/^\//, "")] = { id: c.Id, state: c.State, image: c.ImageID };
  }
  const volumes = (await engine.listVolumes({ [LABEL.map]: mapName })).map((v) => v.Name).sort();
  const networks = (await engine.listNetworks({ [LABEL.map]: mapName })).map((n) => `${n.Name} ${n.Id}`);
  return { containers, volumes, networks: networks.sort() };
}

/** Waits for the next whole second, so that earlier events fall before `since`. */
async function nextSecond(): Promise<number> {
  const now = Date.now();
  const next = Math.floor(now / 1000) + 1;
  await new Promise((resolve) => setTimeout(resolve, next * 1000 - now + 20));
  return next;
}

/** Every engine event between `since` and now about an object of this map (by label or name). */
async function mapEvents(since: number): Promise<EngineEvent[]> {
  const all = await engine.events({ since, until: Math.floor(Date.now() / 1000) + 1 });
  return all.filter((e) => {
    const attributes = e.Actor.Attributes ?? {};
    return (
      attributes[LABEL.map] === mapName ||
      (attributes.name ?? "").startsWith(`${mapName}.`) ||
      attributes.name === lockName(mapName) ||
      e.Actor.ID.startsWith(`${mapName}.`) ||
      Object.values(attributes).some((v) => v.startsWith(`${mapName}.`))
    );
  });
}

const READ_ONLY_COMMANDS: string[][] = [
  ["plan"],
  ["plan", "--json"],
  ["plan", "--action", "startup"],
  ["plan", "--action", "shutdown"],
  ["plan", "--action", "remove"],
  ["plan", "--out", "saved-plan.json"],
  ["update", "--dry-run"],
  ["update", "--dry-run", "--json", "--remove-orphans"],
  ["startup", "--dry-run"],
  ["shutdown", "--dry-run", "--volumes"],
  ["start", "--dry-run"],
  ["stop", "--dry-run"],
  ["restart", "--dry-run"],
  ["kill", "--dry-run"],
  ["remove", "--dry-run", "--volumes"],
  ["status"],
  ["status", "--json"],
];

async function runAll(): Promise<{ command: string; code: number; stderr: string }[]> {
  const out: { command: string; code: number; stderr: string }[] = [];
  for (const args of READ_ONLY_COMMANDS) {
    const run = await berth(["-f", file, ...args], { cwd: folder.dir });
    out.push({ command: args.join(" "), code: run.code, stderr: run.stderr });
  }
  return out;
}

describe("read-only commands", () => {
  it("change nothing when the engine matches the map", async () => {
    const before = await snapshot();
    expect(Object.keys(before.containers).sort()).toEqual(
      [container("changed"), container("keep"), container("stopped")].sort(),
    );
    const since = await nextSecond();
    const runs = await runAll();
    for (const run of runs) expect(run, run.command).toMatchObject({ code: 0 });
    expect(await mapEvents(since)).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it("change nothing when the map has pending changes of every kind", async () => {
    // Pending: a recreate (image and environment), a start (stopped by hand), a create, a network.
    await engine.stopContainer(container("stopped"), 5);
    writeMap(folder.dir, mapText({ pending: true }));
    const before = await snapshot();
    expect(before.containers[container("stopped")]?.state).toBe("exited");

    const dry = await berth(["-f", file, "update", "--dry-run", "--detailed-exitcode"]);
    expect(dry.code).toBe(2);
    expect(dry.stdout).toMatch(/container .*\.changed will be recreated/);
    expect(dry.stdout).toMatch(/container .*\.stopped will be started/);
    expect(dry.stdout).toMatch(/container .*\.added will be created/);

    const since = await nextSecond();
    const runs = await runAll();
    for (const run of runs) expect(run, run.command).toMatchObject({ code: 0 });
    const detailed = await berth(["-f", file, "plan", "--detailed-exitcode"]);
    expect(detailed.code).toBe(2);
    expect(await mapEvents(since)).toEqual([]);
    expect(await snapshot()).toEqual(before);

    // The control: a real update in the same kind of window is seen by the same event filter.
    const applySince = await nextSecond();
    const applied = await berth(["-f", file, "update", "--progress", "quiet"]);
    expect(applied.code).toBe(0);
    const seen = (await mapEvents(applySince)).map((e) => `${e.Type} ${e.Action}`);
    expect(seen).toEqual(
      expect.arrayContaining(["network create", "container create", "container start", "container destroy"]),
    );
  });
});
