import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

/**
 * A real image registry that requires authentication, for push and pull tests: Debian's
 * docker-registry (installed by scripts/test-engine.sh) on a free 127.0.0.1 port, with its own
 * htpasswd file, config and storage in `dir`. The engine talks plain HTTP to 127.0.0.0/8.
 */
export interface TestRegistry {
  /** `127.0.0.1:PORT`: the registry part of image references. */
  address: string;
  user: string;
  password: string;
  /** A Docker config folder (for DOCKER_CONFIG) whose `auths` hold this user and `password`. */
  dockerConfig(name: string, password: string): string;
  /** The tags of a repository, read through the registry's HTTP API with the right credentials. */
  tags(repository: string): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startTestRegistry(dir: string, user: string, password: string): Promise<TestRegistry> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const htpasswd = execFileSync("htpasswd", ["-Bbn", user, password], { encoding: "utf8" });
  writeFileSync(join(dir, "htpasswd"), htpasswd);
  writeFileSync(
    join(dir, "registry.yml"),
    [
      "version: 0.1",
      "log: {level: error}",
      "storage:",
      `  filesystem: {rootdirectory: ${join(dir, "storage")}}`,
      "http:",
      `  addr: ${address}`,
      "auth:",
      `  htpasswd: {realm: berth-test, path: ${join(dir, "htpasswd")}}`,
      "",
    ].join("\n"),
  );
  const child = spawn("docker-registry", ["serve", join(dir, "registry.yml")], { stdio: "ignore" });
  await waitForRegistry(port, child);
  const basic = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  return {
    address,
    user,
    password,
    dockerConfig(name, pass) {
      const folder = join(dir, name);
      mkdirSync(folder, { recursive: true });
      const auth = Buffer.from(`${user}:${pass}`).toString("base64");
      writeFileSync(join(folder, "config.json"), JSON.stringify({ auths: { [address]: { auth } } }));
      return folder;
    },
    async tags(repository) {
      const answer = await fetch(`http://${address}/v2/${repository}/tags/list`, {
        headers: { Authorization: basic },
      });
      if (answer.status === 404) return [];
      if (!answer.ok) throw new Error(`registry answered ${answer.status} for the tags of ${repository}`);
      const body = (await answer.json()) as { tags?: string[] | null };
      return [...(body.tags ?? [])].sort();
    },
    stop: () => stopChild(child),
  };
}

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

async function waitForRegistry(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`the test registry exited with code ${child.exitCode}`);
    const status = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      (r) => r.status,
      () => 0,
    );
    // Without credentials the registry answers 401: it is up and asks for authentication.
    if (status === 401) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stopChild(child);
  throw new Error("the test registry did not start");
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
