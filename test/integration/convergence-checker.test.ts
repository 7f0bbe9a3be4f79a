import { describe, expect, it } from "vitest";
import { checkConvergence } from "../helpers/convergence-checker.js";
import { docker } from "../helpers/checker/docker-cli.js";
import { runBerthBin } from "../helpers/checker/expected-map.js";
import { tempFolder } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";
import { freePort } from "../helpers/plan-json.js";

/**
 * Issue 14, "The proof": the independent convergence checker finds nothing on maps berth has just
 * started, and finds each kind of drift made by hand with the docker client.
 */
const workspace = mapWorkspace("checker");
const hostRoot = tempFolder("checker-root");

async function startup(fileArgs: string[], env: Record<string, string> = {}): Promise<void> {
  const run = await runBerthBin([...fileArgs, "startup", "--progress", "quiet"], { env });
  expect(run.code, run.stderr).toBe(0);
}

describe("the convergence checker on freshly started maps", () => {
  it.each(["web-app", "networks", "instances"])("finds nothing on examples/%s", async (example) => {
    const fileArgs = ["-f", `examples/${example}/berth.yaml`, "--map-name", workspace.name(example)];
    const env = { BERTH_EXAMPLE_ROOT: hostRoot.dir };
    await startup(fileArgs, env);
    expect(await checkConvergence(fileArgs, { env })).toEqual([]);
  });
});

describe("the convergence checker finds drift made by hand", () => {
  const name = workspace.name("drift");
  const c = (key: string) => `${name}.${key}`;
  let fileArgs: string[] = [];

  const mapText = (port: number) => `
name: ${name}
volumes:
  data: {default_path: /data, user: "1000:1000", permissions: "0750"}
networks:
  back: {}
hub:
  image: ${FIXTURE_IMAGES.base1}
  attaches: data
  exposes: [[8080, ${port}]]
  networks: {back: {aliases: [hub-alias]}}
  host_config: {mem_limit: 64m, restart_policy: unless-stopped}
side:
  image: ${FIXTURE_IMAGES.base1}
  network_mode: hub
  exec_commands: [touch /tmp/berth-exec-ran]
db:
  image: ${FIXTURE_IMAGES.healthy}
  healthcheck: {test: [CMD, test, -f, /tmp/ready], interval: 500ms, retries: 60}
app:
  image: ${FIXTURE_IMAGES.base1}
  links: {db: database}
  depends_on: {db: healthy}
plain:
  image: ${FIXTURE_IMAGES.base1}
  environment: {GREETING: hello}
`;

  it("finds nothing once berth has started the map", async () => {
    fileArgs = ["-f", workspace.write(name, mapText(await freePort()))];
    await startup(fileArgs);
    expect(await checkConvergence(fileArgs)).toEqual([]);
  });

  it("finds a memory limit changed with docker update", async () => {
    await docker("update", "--memory", "32m", c("hub"));
    expect(await checkConvergence(fileArgs)).toContain(
      `container ${c("hub")}: mem_limit is 33554432, map says 67108864`,
    );
    await docker("update", "--memory", "64m", c("hub"));
    expect(await checkConvergence(fileArgs)).toEqual([]);
  });

  it("finds a volume whose owner was changed with chown", async () => {
    await docker("exec", c("hub"), "chown", "0:0", "/data");
    expect(await checkConvergence(fileArgs)).toContain(
      `volume ${c("data")}: owner is 0:0, map says "1000:1000"`,
    );
    await docker("exec", c("hub"), "chmod", "777", "/data");
    expect(await checkConvergence(fileArgs)).toContain(`volume ${c("data")}: mode is 0777, map says "0750"`);
    await docker("exec", c("hub"), "sh", "-c", "chown 1000:1000 /data && chmod 750 /data");
  });

  it("finds a container disconnected from a network", async () => {
    await docker("network", "disconnect", c("back"), c("hub"));
    expect(await checkConvergence(fileArgs)).toContain(
      `container ${c("hub")}: is not on network ${c("back")}`,
    );
    await docker("network", "connect", "--alias", "hub-alias", c("back"), c("hub"));
  });

  it("finds a container stopped with docker stop", async () => {
    await docker("stop", "-t", "1", c("plain"));
    expect(await checkConvergence(fileArgs)).toContain(
      `container ${c("plain")}: is exited (0), map says running`,
    );
    await docker("start", c("plain"));
  });

  it("finds an environment changed by recreating the container by hand", async () => {
    await docker("rm", "-f", c("plain"));
    await docker(
      "run",
      "-d",
      "--name",
      c("plain"),
      "--label",
      `berth.map=${name}`,
      "-e",
      "GREETING=bye",
      FIXTURE_IMAGES.base1,
    );
    expect(await checkConvergence(fileArgs)).toContain(
      `container ${c("plain")}: env GREETING is "bye", map says "hello"`,
    );
  });

  it("finds a network_mode dependent left in the old namespace when its target restarts", async () => {
    await docker("restart", "-t", "1", c("hub"));
    const problems = await checkConvergence(fileArgs);
    expect(problems.join("\n")).toMatch(
      new RegExp(
        `container ${c("side")}: network namespace is net:\\[\\d+\\], its network_mode target ${c("hub")} has net:\\[\\d+\\]`,
      ),
    );
  });

  it("finds a link whose target was recreated by hand, and an exec command that has not run", async () => {
    await docker("rm", "-f", c("db"), c("side"));
    // A stand-in takes the old db's address, so the new db gets another one.
    await docker("run", "-d", "--name", c("filler"), "--label", `berth.map=${name}`, FIXTURE_IMAGES.base1);
    await docker("run", "-d", "--name", c("db"), "--label", `berth.map=${name}`, FIXTURE_IMAGES.healthy);
    await docker(
      "run",
      "-d",
      "--name",
      c("side"),
      "--label",
      `berth.map=${name}`,
      "--network",
      `container:${c("hub")}`,
      FIXTURE_IMAGES.base1,
    );
    const problems = await checkConvergence(fileArgs);
    expect(problems).toContain(
      `container ${c("side")}: exec "touch /tmp/berth-exec-ran" has not run: /tmp/berth-exec-ran is missing`,
    );
    expect(problems.join("\n")).toMatch(
      new RegExp(`container ${c("app")}: link database resolves to \\S+ in /etc/hosts, ${c("db")} is at `),
    );
    expect(problems).toContain(`container ${c("filler")}: exists, map has no such container`);
  });
});
