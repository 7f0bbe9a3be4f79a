import { execFile } from "node:child_process";
import { promisify } from "node:util";
import Docker from "dockerode";
import { afterAll, describe, expect, it } from "vitest";
import { berth, tempFolder } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";
import { expectPlanMatchesSchema, freePort } from "../helpers/plan-json.js";
import type { Action } from "../helpers/checker/property-model.js";
import { describeSequence, runSequence } from "../helpers/checker/property-runner.js";
import type { Plan } from "../../src/plan/plan-types.js";

/**
 * Issue 14 item 5 on the real engine: `--refresh full` inspects every container of the map and
 * compares what the engine runs with the map, field by field. After a startup it finds nothing (no
 * false drift, on the repository's examples and on a rich map); each kind of change made by hand is
 * seen, planned (in place where the engine can, else a recreate, with a per-field reason), shown
 * by `status`, and repaired by `update`. The default look (four list calls) does not see changes in
 * place.
 */
const workspace = mapWorkspace("refresh-full");
const hostRoot = tempFolder("refresh-full-root");
const docker = promisify(execFile);
const api = new Docker({ socketPath: "/var/run/docker.sock" });
const ENV = { BERTH_EXAMPLE_ROOT: hostRoot.dir };

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return berth(args, { env: ENV });
}

async function plan(files: string[], refresh: "labels" | "full" = "full"): Promise<Plan> {
  const out = await run([...files, "plan", "--json", "--refresh", refresh]);
  expect(out.code, out.stderr).toBe(0);
  const parsed = JSON.parse(out.stdout) as Plan;
  expectPlanMatchesSchema(parsed);
  return parsed;
}

const reasonsOf = (p: Plan, key: string) =>
  p.changes.filter((c) => c.object.key === key).flatMap((c) => c.reasons.map((r) => r.message));

describe("--refresh full finds no false drift", () => {
  it.each(["web-app", "networks", "instances"])("on examples/%s after startup", async (example) => {
    const files = ["-f", `examples/${example}/berth.yaml`, "--map-name", workspace.name(example)];
    const up = await run([...files, "startup", "--progress", "quiet"]);
    expect(up.code, up.stderr).toBe(0);
    const full = await plan(files);
    expect(full.changes.filter((c) => c.change !== "outdated")).toEqual([]);
    expect(full.steps).toEqual([]);
  });
});

describe("--refresh full sees what was changed by hand", () => {
  const mapName = workspace.name("rich");
  const c = (key: string) => `${mapName}.${key}`;
  const file = workspace.write(mapName, RICH(mapName));
  const files = () => ["-f", file];

  it("finds nothing on a rich map after startup", async () => {
    const up = await run([...files(), "startup", "--progress", "quiet"]);
    expect(up.code, up.stderr).toBe(0);
    expect((await plan(files())).steps).toEqual([]);
    expect((await plan(files(), "labels")).steps).toEqual([]);
  });

  it("sees limits and a restart policy changed with docker update, and puts them back in place", async () => {
    const before = await api.getContainer(c("web")).inspect();
    await docker("docker", [
      "update",
      "--memory",
      "200m",
      "--memory-swap",
      "400m",
      "--restart",
      "no",
      c("web"),
    ]);
    await docker("docker", ["update", "--restart", "always", c("worker")]);

    expect((await plan(files(), "labels")).steps).toEqual([]);
    const full = await plan(files());
    expect(full.options.refresh).toBe("full");
    const update = full.changes.find((ch) => ch.object.key === "web" && ch.change === "update");
    expect(update?.reasons.map((r) => r.field).sort()).toEqual([
      "host_config.mem_limit",
      "host_config.memswap_limit",
      "restart",
    ]);
    expect(update?.reasons.map((r) => r.message)).toContain(
      "host_config.mem_limit: 200m → 64m (changed outside berth)",
    );
    expect(reasonsOf(full, "worker")).toContain('restart: "always" → "no" (changed outside berth)');

    const status = await run([...files(), "status", "--refresh", "full"]);
    expect(status.stdout).toContain("host_config.mem_limit: 200m → 64m (changed outside berth)");
    expect((await run([...files(), "status"])).stdout).not.toContain("changed outside berth");

    const repaired = await run([...files(), "update", "--refresh", "full", "--progress", "quiet"]);
    expect(repaired.code, repaired.stderr).toBe(0);
    const after = await api.getContainer(c("web")).inspect();
    expect(after.Id).toBe(before.Id);
    expect(after.HostConfig.Memory).toBe(64 * 1024 ** 2);
    expect(after.HostConfig.RestartPolicy?.Name).toBe("always");
    expect((await api.getContainer(c("worker")).inspect()).HostConfig.RestartPolicy?.Name).toBe("no");
    expect((await plan(files())).steps).toEqual([]);
  });

  it("sees a limit set by hand where the map sets none, and recreates (the engine cannot unset it)", async () => {
    await docker("docker", ["update", "--cpu-shares", "100", c("worker")]);
    const full = await plan(files());
    const change = full.changes.find((ch) => ch.object.key === "worker");
    expect(change?.change).toBe("recreate");
    expect(change?.reasons[0]?.message).toMatch(/^host_config.cpu_shares: set to 100 outside berth/);
    const repaired = await run([...files(), "update", "--refresh", "full", "--progress", "quiet"]);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect((await api.getContainer(c("worker")).inspect()).HostConfig.CpuShares).toBe(0);
    expect((await plan(files())).steps).toEqual([]);
  });

  it("sees a container made again by hand under the same name and labels with other env", async () => {
    const old = await api.getContainer(c("web")).inspect();
    await api.getContainer(c("web")).remove({ force: true });
    const env = old.Config.Env.map((e) => (e.startsWith("GREETING=") ? "GREETING=by hand" : e)).filter(
      (e) => !e.startsWith("DB_PASSWORD="),
    );
    const made = await api.createContainer({
      name: c("web"),
      ...old.Config,
      Env: [...env, "DB_PASSWORD=hand-secret"],
      HostConfig: old.HostConfig,
      NetworkingConfig: {
        EndpointsConfig: { [c("back")]: { Aliases: ["web-alias"] } },
      },
    });
    await api
      .getNetwork(c("front"))
      .connect({ Container: made.id, EndpointConfig: { Aliases: ["front-alias"] } });
    await made.start();

    // The labels are berth's own: the default look sees the same container (only `side`, in its
    // network stack, is made again: the id it joined is gone).
    expect(reasonsOf(await plan(files(), "labels"), "web")).toEqual([]);
    const full = await plan(files());
    const change = full.changes.find((ch) => ch.object.key === "web");
    expect(change?.change).toBe("recreate");
    expect(change?.reasons.map((r) => r.message)).toEqual([
      'environment.GREETING: "by hand" → "hello" (changed outside berth)',
      "environment.DB_PASSWORD: changed outside berth",
    ]);
    expect(JSON.stringify(full)).not.toContain("hand-secret");
    expect(JSON.stringify(full)).not.toContain("hunter22");

    const repaired = await run([...files(), "update", "--refresh", "full", "--progress", "quiet"]);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect((await api.getContainer(c("web")).inspect()).Config.Env).toContain("GREETING=hello");
    expect((await plan(files())).steps).toEqual([]);
  });

  it("sees a network disconnected and an alias changed by hand, and reconnects", async () => {
    await docker("docker", ["network", "disconnect", c("back"), c("worker")]);
    await docker("docker", ["network", "disconnect", c("front"), c("web")]);
    await docker("docker", ["network", "connect", "--alias", "other", c("front"), c("web")]);
    const full = await plan(files());
    expect(reasonsOf(full, "worker")).toContain(`not connected to network ${c("back")}`);
    expect(reasonsOf(full, "web")).toContain(
      `endpoint on network ${c("front")}: aliases ["other"] → ["front-alias"] (changed outside berth)`,
    );
    const repaired = await run([...files(), "update", "--refresh", "full", "--progress", "quiet"]);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect((await plan(files())).steps).toEqual([]);
  });
});

/** A map that sets most fields the engine reports. */
const RICH = (name: string) => `
name: ${name}
volumes:
  data: /data
  shared: /shared
networks:
  back: {}
  front: {}
web:
  image: ${FIXTURE_IMAGES.base1}
  restart: always
  attaches: data
  environment: {GREETING: hello, DB_PASSWORD: hunter22}
  command: [sh, -c, "trap 'exit 0' TERM; sleep 1000 & wait"]
  labels: {team: core}
  user: "0"
  working_dir: /tmp
  hostname: web-host
  shares: /cache
  exposes: 8080
  networks:
    back: {aliases: [web-alias]}
    front: {aliases: [front-alias]}
  healthcheck: {test: [CMD, "true"], interval: 1s}
  stop_timeout: 2
  host_config:
    mem_limit: 64m
    cpu_shares: 512
    pids_limit: 100
    cap_add: [NET_ADMIN]
    group_add: [1000]
    log_config: {type: json-file, config: {max-size: 1m}}
    ulimits: [{name: nofile, soft: 1024, hard: 2048}]
    dns: [10.0.0.2]
    extra_hosts: ["db.local:10.0.0.3"]
    tmpfs: {/run: "size=1m"}
    init: true
  create_options: {tty: true}
worker:
  image: ${FIXTURE_IMAGES.base1}
  uses: [data, web]
  links: {web: webby}
  networks: back
  entrypoint: [sh, -c]
  command: ["trap 'exit 0' TERM; sleep 1000 & wait"]
  stop_timeout: 2
side:
  image: ${FIXTURE_IMAGES.base1}
  network_mode: web
  stop_timeout: 2
`;

describe("the convergence property's docker update drift (issue 14 checker model)", () => {
  const folder = tempFolder("refresh-full-property");
  afterAll(() => folder.remove());

  it("converges after docker update with and without a map memory limit (mem_limit null works)", async () => {
    const context = { dir: folder.dir, ports: [await freePort()] };
    const actions: Action[] = [
      { kind: "docker-update-memory" },
      { kind: "mem-limit", value: null },
      { kind: "docker-update-memory" },
      { kind: "mem-limit", value: "96m" },
      { kind: "docker-update-memory" },
    ];
    const failure = await runSequence(actions, context);
    expect(failure === undefined ? "" : describeSequence(failure)).toBe("");
  }, 240_000);
});
