import { spawn } from "node:child_process";
import { join } from "node:path";
import { expect } from "vitest";
import type { DockerEngine } from "../../src/engine/docker-engine.js";
import { isEngineNotFoundError } from "../../src/engine/engine-errors.js";
import { LABEL } from "../../src/model/labels.js";
import { berth, REPO_ROOT } from "./cli.js";
import { FIXTURE_IMAGES } from "./engine.js";

/**
 * The crash-point campaign's map: a root (`db`) whose change recreates a cascade through links,
 * volumes_from and network_mode, with a named volume and anonymous volumes holding random data.
 * 14 containers; a change of `db` recreates 11 of them.
 */
export const crashMap = (mapName: string, version: string) => `
name: ${mapName}
volumes:
  data: /data
networks:
  back: {}
db:
  image: /${FIXTURE_IMAGES.base1}
  attaches: data
  shares: /scratch
  environment: {V: "${version}"}
cache:
  image: /${FIXTURE_IMAGES.base1}
  shares: /cache
  links: db
linker:
  image: /${FIXTURE_IMAGES.base1}
  links: db
linker2:
  image: /${FIXTURE_IMAGES.base1}
  links: linker
volfrom:
  image: /${FIXTURE_IMAGES.base1}
  uses: db
netmode:
  image: /${FIXTURE_IMAGES.base1}
  network_mode: db
web:
  image: /${FIXTURE_IMAGES.base1}
  links: cache
  depends_on: voluser
voluser:
  image: /${FIXTURE_IMAGES.base1}
  uses: data
dep:
  image: /${FIXTURE_IMAGES.base1}
  depends_on: db
  networks: back
worker:
  image: /${FIXTURE_IMAGES.base1}
  instances: [a, b, c, d]
  links: db
`;

export const CRASH_CONTAINERS = [
  "cache",
  "db",
  "dep",
  "linker",
  "linker2",
  "netmode",
  "volfrom",
  "voluser",
  "web",
  "worker.a",
  "worker.b",
  "worker.c",
  "worker.d",
];

/** Where random data is written: named volume, db's anonymous volume, cache's anonymous volume. */
const DATA_FILES = [
  { container: "db", path: "/data/blob" },
  { container: "db", path: "/scratch/blob" },
  { container: "cache", path: "/cache/blob" },
  // The same volumes seen through volumes_from.
  { container: "volfrom", path: "/scratch/blob" },
  { container: "voluser", path: "/data/blob" },
];

/** Writes 256 KiB of random bytes into each volume; returns the checksums read back. */
export async function writeRandomData(
  engine: DockerEngine,
  mapName: string,
): Promise<Record<string, string>> {
  for (const file of DATA_FILES.slice(0, 3)) {
    const result = await engine.exec(`${mapName}.${file.container}`, [
      "sh",
      "-c",
      `head -c 262144 /dev/urandom > ${file.path} && sync`,
    ]);
    expect(result.exitCode, result.output).toBe(0);
  }
  return checksums(engine, mapName);
}

export async function checksums(engine: DockerEngine, mapName: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of DATA_FILES) {
    const result = await engine.exec(`${mapName}.${file.container}`, [
      "sh",
      "-c",
      `md5sum ${file.path}; wc -c < ${file.path}`,
    ]);
    out[`${file.container}:${file.path}`] =
      result.exitCode === 0 ? result.output.trim().replace(/\s+/g, " ") : `missing (${result.output.trim()})`;
  }
  return out;
}

/** What the kill interrupted: the progress event seen last before SIGKILL. */
export interface KillPoint {
  /** 1-based index of the progress event after which the run was killed. */
  event: number;
  type: string;
  stepType: string;
  object: string;
}

/**
 * Runs the built `berth update` and SIGKILLs it the moment its `event`-th progress event
 * (step-start: mid-call; step-done: after the step) is written. Returns the point, or undefined
 * when the run ended first.
 */
export async function updateKilledAt(file: string, event: number): Promise<KillPoint | undefined> {
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, "bin/berth.js"), "-f", file, "update", "--progress", "json", "--lock-timeout", "60"],
    { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "ignore", "pipe"] },
  );
  let seen = 0;
  let point: KillPoint | undefined;
  let buffered = "";
  child.stderr.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      if (point !== undefined || !line.startsWith("{")) continue;
      const parsed = JSON.parse(line) as { type: string; stepType?: string; object?: { name: string } };
      if (parsed.type !== "step-start" && parsed.type !== "step-done") continue;
      seen += 1;
      if (seen !== event) continue;
      child.kill("SIGKILL");
      point = {
        event,
        type: parsed.type,
        stepType: parsed.stepType ?? "",
        object: parsed.object?.name ?? "",
      };
    }
  });
  await new Promise((resolve) => child.once("exit", resolve));
  return point;
}

export interface Convergence {
  /** Objects of the map that should not be there: temporary containers, locks, renewals. */
  leftovers: string[];
  /** Data files whose checksum changed. */
  lost: string[];
  /** The next plan's exit code with --detailed-exitcode (0: nothing to do). */
  nextPlan: number;
  /** The converging update's exit code and stderr. */
  code: number;
  stderr: string;
}

/** Runs `berth update` once more and checks what the campaign requires of it. */
export async function converge(
  engine: DockerEngine,
  mapName: string,
  file: string,
  expected: Record<string, string>,
): Promise<Convergence> {
  const run = await berth(["-f", file, "update", "--progress", "plain", "--lock-timeout", "0"]);
  const names = (await engine.listContainers({ [LABEL.map]: mapName }))
    // A linked container is also listed under `/dependent/alias`; its own name has one slash.
    .map((c) => (c.Names.find((n) => n.lastIndexOf("/") === 0) ?? c.Id).replace(/^\//, ""))
    .filter((n) => !n.startsWith("berth-state."));
  const wanted = new Set(CRASH_CONTAINERS.map((c) => `${mapName}.${c}`));
  const leftovers = names.filter((n) => !wanted.has(n));
  const now = await checksums(engine, mapName);
  const lost = Object.keys(expected).filter((k) => now[k] !== expected[k]);
  const plan = await berth(["-f", file, "plan", "--detailed-exitcode"]);
  return { leftovers, lost, nextPlan: plan.code, code: run.code, stderr: run.stderr };
}

/** Anonymous volumes the map's containers mount now. */
export async function anonymousMounted(engine: DockerEngine, mapName: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const c of await engine.listContainers({ [LABEL.map]: mapName })) {
    for (const m of c.Mounts ?? [])
      if (m.Type === "volume" && m.Name && !m.Name.startsWith(`${mapName}.`)) out.add(m.Name);
  }
  return out;
}

/** Removes anonymous volumes left over (after the map's containers are gone). */
export async function removeVolumes(engine: DockerEngine, names: Iterable<string>): Promise<void> {
  for (const name of names) {
    await engine.removeVolume(name).catch((err: unknown) => {
      if (!isEngineNotFoundError(err)) throw err;
    });
  }
}
