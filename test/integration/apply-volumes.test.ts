import { afterAll, describe, expect, it } from "vitest";
import { isEngineNotFoundError } from "../../src/engine/engine-errors.js";
import { LABEL } from "../../src/model/labels.js";
import { berth, tempFolder, writeMap } from "../helpers/cli.js";
import { FIXTURE_IMAGES, removeMapObjects, testEngine, uniqueMapName } from "../helpers/engine.js";
import { anonymousVolumes, planJson } from "../helpers/plan-json.js";

/**
 * Issue "Apply", done-when 3: what happens to data in named (attached) and anonymous (`shares`)
 * volumes across a recreate, a shutdown and a shutdown --volumes.
 */
const engine = testEngine();
const mapName = uniqueMapName("volumes");
const folder = tempFolder("volumes");
/** Anonymous volumes carry no labels: every one seen is removed at the end if still there. */
const anonymousSeen = new Set<string>();

const mapText = (value: string) => `
name: ${mapName}
volumes:
  data: /data
app:
  image: ${FIXTURE_IMAGES.base1}
  attaches: data
  shares: /scratch
  environment: {V: "${value}"}
other:
  image: ${FIXTURE_IMAGES.base1}
  shares: /cache
`;

const file = writeMap(folder.dir, mapText("1"));
const files = ["-f", file];
const app = `${mapName}.app`;
const other = `${mapName}.other`;
const dataVolume = `${mapName}.data`;

async function run(...args: string[]) {
  const result = await berth([...files, ...args, "--progress", "quiet"]);
  expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
  return result;
}

async function anonymousOf(name: string): Promise<string[]> {
  const found = anonymousVolumes((await engine.inspectContainer(name)).Mounts);
  for (const volume of found) anonymousSeen.add(volume);
  return found;
}

async function volumeExists(volumeName: string): Promise<boolean> {
  return (await engine.listVolumes({})).some((v) => v.Name === volumeName);
}

afterAll(async () => {
  await removeMapObjects(engine, mapName);
  for (const volume of anonymousSeen) {
    await engine.removeVolume(volume).catch((err: unknown) => {
      if (!isEngineNotFoundError(err)) throw err;
    });
  }
  folder.remove();
});

describe("volumes across recreate and shutdown", () => {
  it("keeps named-volume data across a recreate and a shutdown, and anonymous data across a recreate", async () => {
    await run("startup");
    const [scratch] = await anonymousOf(app);
    expect(scratch).toBeDefined();
    const firstId = (await engine.inspectContainer(app)).Id;
    expect(
      await engine.exec(app, ["sh", "-c", "echo named > /data/f && echo anonymous > /scratch/f"]),
    ).toEqual({ exitCode: 0, output: "" });

    writeMap(folder.dir, mapText("2"));
    const plan = await planJson(files);
    const create = plan.steps.find((s) => s.type === "create-container" && s.object.name === app);
    expect(create).toMatchObject({ temporary: true, carriedVolumes: [{ name: scratch, path: "/scratch" }] });
    await run("update");
    const recreated = await engine.inspectContainer(app);
    expect(recreated.Id).not.toBe(firstId);
    expect(await anonymousOf(app)).toEqual([scratch]);
    expect(await engine.exec(app, ["sh", "-c", "cat /data/f /scratch/f"])).toEqual({
      exitCode: 0,
      output: "named\nanonymous\n",
    });

    // A plain shutdown keeps every volume, the anonymous ones included.
    const kept = [scratch as string, ...(await anonymousOf(other))];
    await run("shutdown");
    expect(await engine.listContainers({ [LABEL.map]: mapName })).toEqual([]);
    expect(await volumeExists(dataVolume)).toBe(true);
    for (const volume of kept) expect(await volumeExists(volume), volume).toBe(true);
    await run("startup");
    expect(await engine.exec(app, ["cat", "/data/f"])).toEqual({ exitCode: 0, output: "named\n" });
  });

  it("removes the attached volume and the anonymous ones on shutdown --volumes, also after a recreate", async () => {
    // `app` is recreated once more (its anonymous volume is carried into the new container);
    // `other` keeps the container it was created as.
    writeMap(folder.dir, mapText("3"));
    await run("update");
    const appAnonymous = await anonymousOf(app);
    const otherAnonymous = await anonymousOf(other);
    expect(appAnonymous).toHaveLength(1);
    expect(otherAnonymous).toHaveLength(1);

    const plan = await planJson(files, ["--action", "shutdown", "--volumes"]);
    expect(plan.changes.find((c) => c.object.name === dataVolume)?.change).toBe("remove");
    await run("shutdown", "--volumes");

    expect(await engine.listContainers({ [LABEL.map]: mapName })).toEqual([]);
    expect(await volumeExists(dataVolume)).toBe(false);
    expect(
      await volumeExists(otherAnonymous[0] as string),
      "anonymous volume of a container never recreated",
    ).toBe(false);
    expect(
      await volumeExists(appAnonymous[0] as string),
      "anonymous volume carried over by a recreate is removed by shutdown --volumes",
    ).toBe(false);
  });
});
