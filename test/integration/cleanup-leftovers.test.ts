import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { acquireLock, createMarkerContainer, lockName } from "../../src/apply/engine-lock.js";
import { holderLabels, thisProcess } from "../../src/apply/lock-holder.js";
import { LABEL } from "../../src/model/labels.js";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES, removeMapObjects, uniqueMapName } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";

/**
 * Issue 16, `berth cleanup` and berth's own leftovers: a lock whose holder is gone, a volume
 * helper and a `_berth-new` container of runs that ended half-way, and with --volumes the map's
 * named volumes it no longer has. Exactly those go: look-alikes without berth's labels and the
 * same leftovers of another map survive, and so does the temporary container the next update
 * would adopt. Cleanup takes the map's lock: a live run's lock makes it wait, and fail at the
 * lock timeout, removing nothing.
 */
const ws = mapWorkspace("cleanup-leftovers");
const engine = ws.engine;
const otherMap = uniqueMapName("cleanup-other");
const foreignContainers: string[] = [];
const foreignVolumes: string[] = [];
afterAll(async () => {
  for (const id of foreignContainers)
    await engine.removeContainer(id, { force: true }).catch(() => undefined);
  for (const name of foreignVolumes) await engine.removeVolume(name).catch(() => undefined);
  await removeMapObjects(engine, otherMap);
});

const LOOP = `command: [sh, -c, "trap 'exit 0' TERM; sleep 1000 & wait"]`;

function mapText(mapName: string, withStore: boolean): string {
  return `
name: ${mapName}
web:
  image: ${FIXTURE_IMAGES.base1}
  attaches: {data: /data}
  ${LOOP}
  stop_timeout: 1
${withStore ? `store:\n  image: ${FIXTURE_IMAGES.base1}\n  attaches: {olddata: /old}\n  ${LOOP}\n  stop_timeout: 1\n` : ""}`;
}

/** A pid of this machine that no process has now: a process that ran and ended. */
function deadPid(): number {
  const child = spawnSync("true");
  return child.pid ?? 999_999;
}

/** Labels of a lock taken by a process of this machine that is gone. */
function deadHolderLock(mapName: string): Record<string, string> {
  const pid = deadPid();
  return {
    [LABEL.map]: mapName,
    [LABEL.kind]: "lock",
    [LABEL.lockHolder]: `test@${thisProcess().host} pid ${pid}`,
    [LABEL.lockExpires]: new Date(Date.now() + 3_600_000).toISOString(),
    ...holderLabels({ ...thisProcess(), pid, start: "1" }),
  };
}

async function container(name: string, labels: Record<string, string>): Promise<string> {
  return engine.createContainer(name, { Image: FIXTURE_IMAGES.base1, Cmd: ["true"], Labels: labels });
}

async function exists(idOrName: string): Promise<boolean> {
  return engine.inspectContainer(idOrName).then(
    () => true,
    () => false,
  );
}

async function volumeNames(): Promise<Set<string>> {
  return new Set((await engine.listVolumes({})).map((v) => v.Name));
}

describe("berth cleanup: berth's leftovers and --volumes", () => {
  it("removes exactly the map's leftovers and orphan volumes; look-alikes and other maps' survive", async () => {
    const mapName = ws.name("left");
    const files = ["-f", ws.write(mapName, mapText(mapName, true))];
    const started = await berth([...files, "startup", "--progress", "quiet"]);
    expect(started.code, started.stderr).toBe(0);
    const mapVolumes = await engine.listVolumes({ [LABEL.map]: mapName });
    const oldData = mapVolumes.find((v) => v.Name.endsWith("olddata"))?.Name as string;
    const data = mapVolumes.find((v) => !v.Name.endsWith("olddata"))?.Name as string;
    expect([oldData, data].every((n) => n !== undefined)).toBe(true);
    // `store` leaves the map and ends: its volume is then the map's, unused, not in the map.
    ws.write(mapName, mapText(mapName, false));
    await engine.stopContainer(`${mapName}.store`, 1);

    // The map's leftovers.
    const mine = { [LABEL.map]: mapName };
    const lock = await createMarkerContainer(engine, lockName(mapName), deadHolderLock(mapName));
    const helper = await container(`${mapName}.berth-helper-0a0b0c0d`, { ...mine, [LABEL.kind]: "helper" });
    const temporary = await container(`${mapName}.web_berth-new`, {
      ...mine,
      [LABEL.kind]: "container",
      [LABEL.replaces]: `${mapName}.web`,
    });
    // Kept: the only temporary of a container that is gone is what the next update renames.
    const adoptable = await container(`${mapName}.gone_berth-new`, {
      ...mine,
      [LABEL.kind]: "container",
      [LABEL.replaces]: `${mapName}.gone`,
    });
    // Look-alikes without berth's labels, and the same leftovers of another map.
    foreignContainers.push(
      await container(`${mapName}.berth-helper-ffffffff`, {}),
      await container(`${mapName}.ghost_berth-new`, { "berth.replaces": `${mapName}.ghost` }),
      await container(`${otherMap}.berth-helper-01020304`, { [LABEL.map]: otherMap, [LABEL.kind]: "helper" }),
      await createMarkerContainer(engine, lockName(otherMap), deadHolderLock(otherMap)),
      await container(`${otherMap}.old`, { [LABEL.map]: otherMap, [LABEL.kind]: "container" }),
    );
    const lookalikeVolume = `${oldData}-lookalike`;
    const otherVolume = `${otherMap}.olddata`;
    await engine.createVolume({ Name: lookalikeVolume });
    await engine.createVolume({ Name: otherVolume, Labels: { [LABEL.map]: otherMap } });
    foreignVolumes.push(lookalikeVolume, otherVolume);

    const expected = [
      `container ${lockName(mapName)}`,
      `container ${mapName}.berth-helper-0a0b0c0d`,
      `container ${mapName}.web_berth-new`,
      `container ${mapName}.store`,
    ];
    const dry = await berth([...files, "cleanup", "--dry-run", "-o", "json"]);
    expect(dry.code, dry.stderr).toBe(0);
    const listed = (JSON.parse(dry.stdout) as { objects: { kind: string; name: string; result: string }[] })
      .objects;
    expect(listed.map((o) => `${o.kind} ${o.name}`).sort()).toEqual([...expected].sort());
    expect(listed.every((o) => o.result === "would remove")).toBe(true);
    expect(await exists(lock)).toBe(true);

    const done = await berth([...files, "cleanup", "--volumes", "-o", "json"]);
    expect(done.code, done.stderr).toBe(0);
    const report = JSON.parse(done.stdout) as {
      objects: { kind: string; name: string; result: string; reason: string }[];
      freedBytes: number;
    };
    expect(report.objects.map((o) => `${o.kind} ${o.name}`).sort()).toEqual(
      [...expected, `volume ${oldData}`].sort(),
    );
    expect(report.objects.every((o) => o.result === "removed")).toBe(true);
    expect(report.objects.find((o) => o.name === lockName(mapName))?.reason).toMatch(
      /lock of a run that is gone/,
    );
    expect(report.freedBytes).toBe(0);

    for (const id of [lock, helper, temporary]) expect(await exists(id)).toBe(false);
    expect(await exists(`${mapName}.store`)).toBe(false);
    const volumes = await volumeNames();
    expect(volumes.has(oldData)).toBe(false);
    // Survivors: the map's running container and its volume, the adoptable temporary, the rest.
    expect((await engine.inspectContainer(`${mapName}.web`)).State.Running).toBe(true);
    expect(volumes.has(data)).toBe(true);
    expect(await exists(adoptable)).toBe(true);
    for (const id of foreignContainers) expect(await exists(id)).toBe(true);
    for (const name of foreignVolumes) expect(volumes.has(name)).toBe(true);
    // Its own lock is released: nothing of the map's lock is left.
    expect(await engine.listContainers({ [LABEL.map]: mapName, [LABEL.kind]: "lock" })).toEqual([]);

    const again = await berth([...files, "cleanup", "--volumes", "--dry-run"]);
    expect(again.stdout).toBe("");
  });

  it("waits for a live run's lock and removes nothing when it times out; a dry run leaves its helpers alone", async () => {
    const mapName = ws.name("locked");
    const files = ["-f", ws.write(mapName, mapText(mapName, false))];
    const started = await berth([...files, "startup", "--progress", "quiet"]);
    expect(started.code, started.stderr).toBe(0);
    const held = await acquireLock(engine, mapName, { timeoutMs: 0, renewEveryMs: 0 });
    try {
      const helper = await container(`${mapName}.berth-helper-11223344`, {
        [LABEL.map]: mapName,
        [LABEL.kind]: "helper",
      });
      const dry = await berth([...files, "cleanup", "--dry-run"]);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toBe("");
      const refused = await berth([...files, "cleanup", "--lock-timeout", "0"]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(new RegExp(`map ${mapName} is locked on engine default`));
      expect(await exists(helper)).toBe(true);
    } finally {
      await held.release();
    }
  });
});
