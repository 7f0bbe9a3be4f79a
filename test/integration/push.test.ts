import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { berth, tempFolder } from "../helpers/cli.js";
import { FIXTURE_IMAGES, removeMapObjects } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";
import { startTestRegistry, type TestRegistry } from "../helpers/test-registry.js";

/**
 * Issue 16, `berth push`: the images the map builds (the config's image and its build.tags) go to
 * a real registry that requires authentication, with the credentials of the Docker config file;
 * the registry's own API shows the tags arrived. Wrong credentials fail with exit 1, naming the
 * image, the registry and the registry's refusal, and print no secret. The pushed image is then
 * pulled back, with the same credentials, by a map that only names it.
 */
const ws = mapWorkspace("push");
const folder = tempFolder("push-registry");
const USER = "pusher";
const PASSWORD = "push-s3cret-pw";
const WRONG = "wrong-s3cret-pw";
let registry: TestRegistry;
/** The map that pulls the pushed image: removed first, so the pushing map's images are free. */
let puller: string | undefined;

beforeAll(async () => {
  registry = await startTestRegistry(folder.dir, USER, PASSWORD);
}, 60_000);

afterAll(async () => {
  if (puller !== undefined) await removeMapObjects(ws.engine, puller);
  await registry?.stop();
  folder.remove();
});

function secretsIn(text: string): string[] {
  const encoded = [PASSWORD, WRONG].map((p) => Buffer.from(`${USER}:${p}`).toString("base64"));
  return [PASSWORD, WRONG, ...encoded].filter((secret) => text.includes(secret));
}

describe("berth push", () => {
  it("pushes the built image and its extra tags with the config file's credentials; wrong ones fail clearly", async () => {
    const mapName = ws.name("push");
    const repository = `berth-test/${mapName}/app`;
    const image = `${registry.address}/${repository}:1`;
    writeFileSync(join(ws.dir, `${mapName}.txt`), "pushed\n");
    const files = [
      "-f",
      ws.write(
        mapName,
        `
name: ${mapName}
app:
  image: ${image}
  build:
    from: ${FIXTURE_IMAGES.base1}
    add: [{src: ${mapName}.txt, dest: /app.txt}]
    tags: [${registry.address}/${repository}:latest]
plain:
  image: ${FIXTURE_IMAGES.base1}
`,
      ),
    ];
    const good = { DOCKER_CONFIG: registry.dockerConfig("good", PASSWORD) };
    const bad = { DOCKER_CONFIG: registry.dockerConfig("bad", WRONG) };

    // Not built yet: a dry run says so, and fails.
    const early = await berth([...files, "push", "--dry-run"], { env: good });
    expect(early.code).toBe(1);
    expect(early.stdout).toContain(
      `would fail ${image} to ${registry.address} from default: image ${image} is not on engine default`,
    );

    const built = await berth([...files, "build", "--progress", "quiet"]);
    expect(built.code, built.stderr).toBe(0);

    const dry = await berth([...files, "push", "--dry-run"], { env: good });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout.trim().split("\n")).toEqual([
      `would push ${image} to ${registry.address} from default`,
      `would push ${registry.address}/${repository}:latest to ${registry.address} from default`,
    ]);
    expect(await registry.tags(repository)).toEqual([]);

    const refused = await berth([...files, "push", "--progress", "plain"], { env: bad });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(
      new RegExp(
        `^failed ${escape(image)} to ${escape(registry.address)} from default: .*(unauthorized|authentication required)`,
        "m",
      ),
    );
    expect(refused.stderr).toContain("push: pushed 0 image reference(s), 2 failed");
    expect(secretsIn(refused.stdout + refused.stderr)).toEqual([]);
    expect(await registry.tags(repository)).toEqual([]);

    const pushed = await berth([...files, "push", "--progress", "plain", "-o", "json"], { env: good });
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(secretsIn(pushed.stdout + pushed.stderr)).toEqual([]);
    const outcomes = JSON.parse(pushed.stdout) as { image: string; result: string; digest?: string }[];
    expect(outcomes.map((o) => [o.image, o.result])).toEqual([
      [image, "pushed"],
      [`${registry.address}/${repository}:latest`, "pushed"],
    ]);
    expect(outcomes[0]?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await registry.tags(repository)).toEqual(["1", "latest"]);

    // Pulled back by a map that only names the image, with the same credentials.
    await ws.engine.removeImage(image);
    await ws.engine.removeImage(`${registry.address}/${repository}:latest`);
    puller = ws.name("pull");
    const pullFiles = [
      "-f",
      ws.write(puller, `name: ${puller}\nuser:\n  image: ${image}\n  stop_timeout: 1\n`),
    ];
    const refusedPull = await berth([...pullFiles, "startup", "--progress", "quiet"], { env: bad });
    expect(refusedPull.code).toBe(1);
    expect(secretsIn(refusedPull.stdout + refusedPull.stderr)).toEqual([]);
    const pulled = await berth([...pullFiles, "startup", "--progress", "quiet"], { env: good });
    expect(pulled.code, pulled.stderr).toBe(0);
    expect((await ws.engine.inspectContainer(`${puller}.user`)).State.Running).toBe(true);
  });

  it("says so when the map builds no image among the targets", async () => {
    const mapName = ws.name("nobuild");
    const files = ["-f", ws.write(mapName, `name: ${mapName}\nplain:\n  image: ${FIXTURE_IMAGES.base1}\n`)];
    const run = await berth([...files, "push"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`map ${mapName} builds no image`);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
