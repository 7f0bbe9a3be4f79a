import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isEngineNotFoundError } from "../../src/engine/engine-errors.js";
import { berth, tempFolder, writeMap } from "../helpers/cli.js";
import { FIXTURE_IMAGES, removeMapObjects, testEngine, uniqueMapName } from "../helpers/engine.js";

/**
 * Pulls from a local registry that requires authentication (Debian's docker-registry with an
 * htpasswd file, on 127.0.0.1): credentials come from the Docker config file's `auths`; a pull
 * with wrong credentials fails the run, whatever the progress stream said, and no password is
 * printed.
 */
const engine = testEngine();
const mapName = uniqueMapName("registry");
const folder = tempFolder("registry");
const USER = "berth";
const PASSWORD = "pull-s3cret-pw";
let registry: ChildProcess | undefined;
let image = "";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

async function waitForRegistry(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const status = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 401) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the test registry did not start");
}

/** A Docker config folder whose config.json holds `auths` for the registry. */
function dockerConfig(name: string, password: string, registryAddress: string): string {
  const dir = join(folder.dir, name);
  execFileSync("mkdir", ["-p", dir]);
  const auth = Buffer.from(`${USER}:${password}`).toString("base64");
  writeFileSync(join(dir, "config.json"), JSON.stringify({ auths: { [registryAddress]: { auth } } }));
  return dir;
}

let goodConfig = "";
let badConfig = "";

beforeAll(async () => {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const htpasswd = execFileSync("htpasswd", ["-Bbn", USER, PASSWORD], { encoding: "utf8" });
  writeFileSync(join(folder.dir, "htpasswd"), htpasswd);
  writeFileSync(
    join(folder.dir, "config.yml"),
    [
      "version: 0.1",
      "storage:",
      `  filesystem: {rootdirectory: ${join(folder.dir, "storage")}}`,
      "http:",
      `  addr: ${address}`,
      "auth:",
      `  htpasswd: {realm: berth-test, path: ${join(folder.dir, "htpasswd")}}`,
      "",
    ].join("\n"),
  );
  registry = spawn("docker-registry", ["serve", join(folder.dir, "config.yml")], { stdio: "ignore" });
  await waitForRegistry(port);
  // Push a fixture image under a unique name, then drop the local tag so only a pull can bring it.
  image = `${address}/berth-test/${mapName}:1`;
  goodConfig = dockerConfig("good", PASSWORD, address);
  badConfig = dockerConfig("bad", "wrong-password", address);
  execFileSync("docker", ["tag", FIXTURE_IMAGES.base1, image]);
  execFileSync("docker", ["push", image], {
    env: { ...process.env, DOCKER_CONFIG: goodConfig },
    stdio: "ignore",
  });
  await engine.removeImage(image);
}, 120_000);

afterAll(async () => {
  await removeMapObjects(engine, mapName);
  await engine.removeImage(image).catch((err: unknown) => {
    if (!isEngineNotFoundError(err)) throw err;
  });
  registry?.kill("SIGTERM");
  folder.remove();
});

describe("pulling from a registry with credentials", () => {
  const map = () => writeMap(folder.dir, `name: ${mapName}\napp:\n  image: ${image}\n`, "berth.yaml");

  it("fails the run when the registry refuses the credentials, without printing them", async () => {
    const run = await berth(["-f", map(), "startup", "--progress", "plain"], {
      env: { DOCKER_CONFIG: badConfig },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/pull image .*berth-test/);
    expect(run.stderr).toMatch(/unauthorized|authentication required|no basic auth/i);
    expect(run.stderr + run.stdout).not.toContain("wrong-password");
    expect(await engine.listContainers({ "berth.map": mapName, "berth.kind": "container" })).toEqual([]);
  });

  it("pulls a missing image with the credentials of the Docker config file and starts the container", async () => {
    const run = await berth(["-f", map(), "startup", "--progress", "plain"], {
      env: { DOCKER_CONFIG: goodConfig },
    });
    expect(run.stderr).not.toContain(PASSWORD);
    expect(run.code).toBe(0);
    // The pull's progress, as lines of the step's output (a live display shows the last in its row).
    expect(run.stderr).toMatch(/\| Status: Downloaded newer image for /);
    const [container] = await engine.listContainers({ "berth.map": mapName, "berth.kind": "container" });
    expect(container?.State).toBe("running");
    expect((await engine.listImages()).some((i) => (i.RepoTags ?? []).includes(image))).toBe(true);
  });
});
