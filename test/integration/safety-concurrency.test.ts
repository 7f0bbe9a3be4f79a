import { hostname } from "node:os";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { emptyTar, MARKER_IMAGE, lockName } from "../../src/apply/engine-lock.js";
import { isEngineNotFoundError } from "../../src/engine/engine-errors.js";
import { LABEL } from "../../src/model/labels.js";
import { berth, REPO_ROOT, spawnBerth } from "../helpers/cli.js";
import { FIXTURE_IMAGES, mapContainers, type ContainerRow } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";

/**
 * Two runs on one map at once: the engine-side lock makes them take turns (or the second refuses
 * with `--lock-timeout 0`), so no object is made twice; a lock left by a dead or expired run is
 * taken over.
 */
const workspace = mapWorkspace("safety-lock");
const { engine } = workspace;

function newMap(prefix: string, text: (mapName: string) => string) {
  const mapName = workspace.name(prefix);
  const file = workspace.write(mapName, text(mapName));
  return {
    mapName,
    file,
    rewrite: (next: (mapName: string) => string) => workspace.write(mapName, next(mapName)),
  };
}

const threeServices = (image: string) => (mapName: string) => `
name: ${mapName}
volumes:
  data: /data
networks:
  back: {}
db:
  image: /${image}
  attaches: data
  networks: back
app:
  image: /${image}
  networks: back
  depends_on: db
web:
  image: /${image}
  depends_on: app
`;

type Row = ContainerRow;

function rows(mapName: string): Promise<Row[]> {
  return mapContainers(engine, mapName);
}

/** Exactly the map's containers, one per config, running, with no temporary or lock left. */
async function expectConverged(mapName: string, configs: string[], image: string): Promise<Row[]> {
  const found = await rows(mapName);
  expect(found.map((r) => r.name)).toEqual(configs.map((c) => `${mapName}.${c}`).sort());
  for (const row of found) expect(row, row.name).toMatchObject({ state: "running", image });
  expect((await engine.listVolumes({ [LABEL.map]: mapName })).length).toBeLessThanOrEqual(1);
  expect((await engine.listNetworks({ [LABEL.map]: mapName })).length).toBeLessThanOrEqual(1);
  return found;
}

async function ensureLockImage(): Promise<void> {
  const tags = new Set((await engine.listImages()).flatMap((i) => i.RepoTags ?? []));
  if (tags.has(MARKER_IMAGE)) return;
  const [repository, tag] = MARKER_IMAGE.split(":") as [string, string];
  await engine.importImage(emptyTar(), repository, tag);
}

/** Makes the map's lock container by hand, as another run would hold it. */
async function holdLock(mapName: string, labels: Record<string, string>): Promise<string> {
  await ensureLockImage();
  return engine.createContainer(lockName(mapName), {
    Image: MARKER_IMAGE,
    Cmd: ["berth-lock"],
    Labels: { [LABEL.map]: mapName, [LABEL.kind]: "lock", ...labels },
    HostConfig: { NetworkMode: "none" },
  });
}

async function lockExists(mapName: string): Promise<boolean> {
  return engine.inspectContainer(lockName(mapName)).then(
    () => true,
    (err: unknown) => {
      if (isEngineNotFoundError(err)) return false;
      throw err;
    },
  );
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("concurrent runs on one map", () => {
  it("two update processes started together make every object once and both succeed", async () => {
    const { mapName, file } = newMap("safety-lock-two", threeServices(FIXTURE_IMAGES.base1));
    const first = spawnBerth(["-f", file, "update", "--progress", "plain"]);
    const second = spawnBerth(["-f", file, "update", "--progress", "plain"]);
    const codes = await Promise.all([first.exited, second.exited]);
    const outputs = [first.output().stderr, second.output().stderr];
    expect(codes, outputs.join("\n----\n")).toEqual([0, 0]);
    for (const stderr of outputs) expect(stderr).not.toMatch(/already in use|error/i);
    await expectConverged(mapName, ["app", "db", "web"], FIXTURE_IMAGES.base1);
    expect(await lockExists(mapName)).toBe(false);
    const plan = await berth(["-f", file, "plan", "--detailed-exitcode"]);
    expect(plan.code).toBe(0);
  });

  it("two in-process updates that recreate everything recreate each container once", async () => {
    const { mapName, file, rewrite } = newMap("safety-lock-recreate", threeServices(FIXTURE_IMAGES.base1));
    expect((await berth(["-f", file, "update", "--progress", "quiet"])).code).toBe(0);
    const before = await rows(mapName);
    rewrite(threeServices(FIXTURE_IMAGES.base2));

    const runs = await Promise.all([
      berth(["-f", file, "update", "--progress", "plain"]),
      berth(["-f", file, "update", "--progress", "plain"]),
    ]);
    expect(
      runs.map((r) => r.code),
      runs.map((r) => r.stderr).join("\n----\n"),
    ).toEqual([0, 0]);
    for (const run of runs) expect(run.stderr).not.toMatch(/already in use|error/i);
    // One of them did the work; the other waited for the lock and found nothing left to do.
    expect(
      runs.filter((r) => /No changes\. The engine matches the map/.test(r.stderr + r.stdout)).length,
    ).toBe(1);
    const after = await expectConverged(mapName, ["app", "db", "web"], FIXTURE_IMAGES.base2);
    for (const row of after) expect(before.map((r) => r.id)).not.toContain(row.id);
    expect(await lockExists(mapName)).toBe(false);
  });

  it("refuses at once with --lock-timeout 0 while another run holds the lock, and waits otherwise", async () => {
    // The holder is a real berth process in the middle of a slow recreate (stop takes 3 s).
    const slow = (image: string) => (mapName: string) => `
name: ${mapName}
slow:
  image: /${image}
  command: [sleep, "1000"]
  stop_timeout: 3
`;
    const { mapName, file, rewrite } = newMap("safety-lock-held", slow(FIXTURE_IMAGES.base1));
    expect((await berth(["-f", file, "update", "--progress", "quiet"])).code).toBe(0);
    rewrite(slow(FIXTURE_IMAGES.base2));

    const holder = spawnBerth(["-f", file, "update", "--progress", "plain"]);
    await waitFor("the holder's temporary container", async () =>
      (await rows(mapName)).some((r) => r.name.endsWith("_berth-new")),
    );
    const refused = await berth(["-f", file, "update", "--lock-timeout", "0"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(`map ${mapName} is locked on engine default by .*pid ${holder.pid}\\b`),
    );
    expect(refused.stderr).toContain("--lock-timeout");

    // Without --lock-timeout 0 the second run waits for the holder and then finds nothing to do.
    const waiting = await berth(["-f", file, "update", "--progress", "plain"]);
    expect(waiting.stderr).toContain(`waiting for the lock of map ${mapName}`);
    expect(waiting.code).toBe(0);
    expect(await holder.exited).toBe(0);
    await expectConverged(mapName, ["slow"], FIXTURE_IMAGES.base2);
    expect(await lockExists(mapName)).toBe(false);
  });

  it("gives up after --lock-timeout when the lock stays held, changing nothing", async () => {
    const { mapName, file } = newMap("safety-lock-busy", threeServices(FIXTURE_IMAGES.base1));
    const expires = new Date(Date.now() + 10 * 60_000).toISOString();
    await holdLock(mapName, { [LABEL.lockHolder]: "someone@elsewhere pid 1", [LABEL.lockExpires]: expires });

    const started = Date.now();
    const refused = await berth(["-f", file, "update", "--lock-timeout", "2"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`map ${mapName} is locked on engine default by someone@elsewhere pid 1`);
    expect(refused.stderr).toContain(expires);
    expect((await rows(mapName)).map((r) => r.name)).toEqual([lockName(mapName)]);
    expect(await engine.listVolumes({ [LABEL.map]: mapName })).toEqual([]);
    expect(await engine.listNetworks({ [LABEL.map]: mapName })).toEqual([]);
  });

  it("takes over an expired lock", async () => {
    const { mapName, file } = newMap("safety-lock-expired", threeServices(FIXTURE_IMAGES.base1));
    const stale = await holdLock(mapName, {
      [LABEL.lockHolder]: "someone@elsewhere pid 1",
      [LABEL.lockExpires]: new Date(Date.now() - 60_000).toISOString(),
    });
    const run = await berth(["-f", file, "update", "--lock-timeout", "0", "--progress", "plain"]);
    expect(run.stderr).not.toMatch(/error|locked/);
    expect(run.code).toBe(0);
    await expectConverged(mapName, ["app", "db", "web"], FIXTURE_IMAGES.base1);
    expect(await lockExists(mapName)).toBe(false);
    const gone = await engine.inspectContainer(stale).catch((err: unknown) => err);
    expect(isEngineNotFoundError(gone)).toBe(true);
  });

  it("takes over a lock whose holder process on this machine is gone", async () => {
    const { mapName, file } = newMap("safety-lock-dead", threeServices(FIXTURE_IMAGES.base1));
    // A process that has exited: its pid names no running process (barring a quick reuse).
    const dead = spawnSync(process.execPath, ["-e", "process.exit(0)"]).pid;
    await holdLock(mapName, {
      [LABEL.lockHolder]: `ghost@${hostname()} pid ${dead}`,
      [LABEL.lockExpires]: new Date(Date.now() + 10 * 60_000).toISOString(),
      "berth.lock.host": hostname(),
      "berth.lock.pid": String(dead),
    });
    const run = await berth(["-f", file, "update", "--lock-timeout", "0", "--progress", "plain"]);
    expect(run.stderr).not.toMatch(/error|locked/);
    expect(run.code).toBe(0);
    await expectConverged(mapName, ["app", "db", "web"], FIXTURE_IMAGES.base1);
    expect(await lockExists(mapName)).toBe(false);
  });
});

describe("locks whose holder is gone", () => {
  it("a run that may write clears a dead holder's lock even with nothing to do; plan leaves it", async () => {
    const { mapName, file } = newMap("safety-lock-noop", threeServices(FIXTURE_IMAGES.base1));
    expect((await berth(["-f", file, "update", "--progress", "quiet"])).code).toBe(0);
    const dead = spawnSync(process.execPath, ["-e", "process.exit(0)"]).pid;
    await holdLock(mapName, {
      [LABEL.lockHolder]: `ghost@${hostname()} pid ${dead}`,
      [LABEL.lockExpires]: new Date(Date.now() + 10 * 60_000).toISOString(),
      "berth.lock.host": hostname(),
      "berth.lock.pid": String(dead),
    });
    // Read-only commands never mutate, not even a stale lock.
    expect((await berth(["-f", file, "plan", "--detailed-exitcode"])).code).toBe(0);
    expect(await lockExists(mapName)).toBe(true);
    const noop = await berth(["-f", file, "update", "--progress", "plain"]);
    expect(noop.code, noop.stderr).toBe(0);
    expect(await lockExists(mapName)).toBe(false);
    await expectConverged(mapName, ["app", "db", "web"], FIXTURE_IMAGES.base1);
  });

  it("a renewing holder on another machine keeps its lock past one lease; once dead, it blocks one lease at most", async () => {
    const { mapName, file } = newMap("safety-lock-remote", threeServices(FIXTURE_IMAGES.base1));
    const holder = spawn(
      process.execPath,
      ["--import", "tsx", join(REPO_ROOT, "test/helpers/foreign-lock-holder.ts"), mapName, "3000", "500"],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    const exited = new Promise((resolve) => holder.once("exit", resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("held") && resolve());
        holder.once("exit", () => reject(new Error("the holder exited before holding the lock")));
      });
      // Twice the lease: still held, because the holder renews it.
      await new Promise((resolve) => setTimeout(resolve, 6000));
      const refused = await berth(["-f", file, "update", "--lock-timeout", "0"]);
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr).toContain(`map ${mapName} is locked on engine default by someone@elsewhere`);
    } finally {
      holder.kill("SIGKILL");
      await exited;
    }
    // The lease (3 s) runs out after the last renewal: the run gets the lock well within its
    // 10 s lock timeout (before leases were renewed, a remote lock blocked for 15 minutes).
    const run = await berth(["-f", file, "update", "--lock-timeout", "10", "--progress", "plain"]);
    expect(run.code, run.stderr).toBe(0);
    await expectConverged(mapName, ["app", "db", "web"], FIXTURE_IMAGES.base1);
    expect(await lockExists(mapName)).toBe(false);
  });
});
