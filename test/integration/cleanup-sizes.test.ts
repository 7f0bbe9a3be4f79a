import { describe, expect, it } from "vitest";
import { LABEL } from "../../src/model/labels.js";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";

/**
 * `berth cleanup` counts the space it frees in containers and volumes too, as the engine measures
 * them before it removes them: a container's writable layer (a file it wrote), a named volume's
 * contents — in its dry run (what would be freed) and in its run.
 */
const ws = mapWorkspace("cleanup-sizes");
const engine = ws.engine;
const MIB = 1024 * 1024;
const WRITE_MIB = (path: string) => `[sh, -c, "dd if=/dev/zero of=${path} bs=1024 count=1024 2>/dev/null"]`;

function mapText(mapName: string, withWriters: boolean): string {
  const writers = `
writer:
  image: ${FIXTURE_IMAGES.base1}
  command: ${WRITE_MIB("/blob")}
filler:
  image: ${FIXTURE_IMAGES.base1}
  attaches: {olddata: /old}
  command: ${WRITE_MIB("/old/blob")}
`;
  return `
name: ${mapName}
kept:
  image: ${FIXTURE_IMAGES.base1}
  command: [sh, -c, "trap 'exit 0' TERM; sleep 1000 & wait"]
  stop_timeout: 1
${withWriters ? writers : ""}`;
}

interface Report {
  objects: { kind: string; name: string; result: string; size: number }[];
  freedBytes: number;
}

describe("berth cleanup: the space it frees", () => {
  it("counts a container's writable layer and, with --volumes, a volume's contents", async () => {
    const mapName = ws.name("sizes");
    const files = ["-f", ws.write(mapName, mapText(mapName, true))];
    const started = await berth([...files, "startup", "--progress", "quiet"]);
    expect(started.code, started.stderr).toBe(0);
    // Each wrote 1 MiB and ended: `writer` in its own layer, `filler` in the volume.
    expect(await engine.waitContainer(`${mapName}.writer`)).toBe(0);
    expect(await engine.waitContainer(`${mapName}.filler`)).toBe(0);
    const volume = (await engine.listVolumes({ [LABEL.map]: mapName })).find((v) =>
      v.Name.endsWith("olddata"),
    );
    expect(volume).toBeDefined();
    ws.write(mapName, mapText(mapName, false));

    const sizeOf = (report: Report, kind: string, name: string) =>
      report.objects.find((o) => o.kind === kind && o.name === name)?.size ?? Number.NaN;

    // Without --volumes: the containers, the writer's at least the file it wrote.
    const dry = await berth([...files, "cleanup", "--dry-run", "-o", "json"]);
    expect(dry.code, dry.stderr).toBe(0);
    const listed = JSON.parse(dry.stdout) as Report;
    expect(listed.objects.map((o) => `${o.kind} ${o.name}`).sort()).toEqual([
      `container ${mapName}.filler`,
      `container ${mapName}.writer`,
    ]);
    expect(sizeOf(listed, "container", `${mapName}.writer`)).toBeGreaterThanOrEqual(MIB);
    expect(listed.freedBytes).toBe(listed.objects.reduce((sum, o) => sum + o.size, 0));
    expect(dry.stderr).toMatch(
      /^cleanup: would remove 2 object\(s\), (\d+\.\d) MB would be freed \(containers \1 MB\)$/m,
    );

    // With --volumes, the dry run says what the run then frees: the volume's file too.
    const dryVolumes = JSON.parse(
      (await berth([...files, "cleanup", "--dry-run", "--volumes", "-o", "json"])).stdout,
    ) as Report;
    expect(sizeOf(dryVolumes, "volume", volume?.Name as string)).toBeGreaterThanOrEqual(MIB);

    const done = await berth([...files, "cleanup", "--volumes", "-o", "json"]);
    expect(done.code, done.stderr).toBe(0);
    const report = JSON.parse(done.stdout) as Report;
    expect(report.objects.every((o) => o.result === "removed")).toBe(true);
    expect(report.objects.map((o) => `${o.kind} ${o.name}`).sort()).toEqual(
      dryVolumes.objects.map((o) => `${o.kind} ${o.name}`).sort(),
    );
    expect(sizeOf(report, "container", `${mapName}.writer`)).toBeGreaterThanOrEqual(MIB);
    expect(sizeOf(report, "volume", volume?.Name as string)).toBeGreaterThanOrEqual(MIB);
    expect(report.freedBytes).toBeGreaterThanOrEqual(2 * MIB);
    expect(report.freedBytes).toBe(report.objects.reduce((sum, o) => sum + o.size, 0));
    expect(done.stderr).toMatch(
      /^cleanup: removed 3 object\(s\), \d+\.\d MB freed \(containers \d+\.\d MB, volumes 1\.\d MB\)$/m,
    );
    // Gone, and the map's running container and nothing else of it touched.
    expect((await engine.listVolumes({ [LABEL.map]: mapName })).map((v) => v.Name)).toEqual([]);
    const left = await engine.listContainers({ [LABEL.map]: mapName, [LABEL.kind]: "container" });
    expect(left.map((c) => c.Names[0])).toEqual([`/${mapName}.kept`]);
  }, 120_000);
});
