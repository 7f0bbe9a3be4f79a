/**
 * berth's Swarm target beside `docker stack deploy`, on the test swarm (scripts/test-engines-extra.sh:
 * manager e4, worker e5), in one run: the same N services (2 replicas each, an idle busybox loop),
 * as a berth map on a swarm client and as the equivalent compose file.
 *
 *   node --import tsx bench/swarm.ts [--services 10] [--runs 3]
 *
 * Figures, per tool: the first deploy until every replica runs (berth waits for it by itself;
 * `docker stack deploy` returns at once, so its time runs until the manager reports every task
 * running), and a no-op redeploy of the unchanged map: time, engine calls (berth's call counter;
 * the docker CLI's through a counting proxy) and how many services the engine saw updated (their
 * version index moved). Everything made is removed at the end, by label or stack name.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerEngine } from "../src/engine/docker-engine.js";
import { loadMap, openEngines, reconcile } from "../src/index.js";
import { loadClientsFile } from "../src/map/clients-file.js";
import { LABEL } from "../src/model/labels.js";
import { startCountingProxy } from "./proxy.js";
import { run } from "./processes.js";
import { fmtMs } from "./stats.js";

const MANAGER = "/run/berth-e4.sock";
const IDLE = "trap 'exit 0' TERM; while true; do sleep 1; done";

function parseArgs(argv: readonly string[]): { services: number; runs: number } {
  const out = { services: 10, runs: 3 };
  for (let i = 0; i < argv.length; i += 2) {
    const value = Number(argv[i + 1]);
    if (argv[i] === "--services" && Number.isInteger(value) && value > 0) out.services = value;
    else if (argv[i] === "--runs" && Number.isInteger(value) && value > 0) out.runs = value;
    else throw new Error(`unknown argument ${argv[i]} (use --services N, --runs N)`);
  }
  return out;
}

const log = (message: string) =>
  process.stderr.write(`swarm-bench ${new Date().toISOString().slice(11, 19)} ${message}\n`);

function berthMap(name: string, services: number): string {
  const lines = [`name: ${name}`, "clients: [sw]"];
  for (let i = 0; i < services; i++)
    lines.push(
      `s${i}:`,
      "  image: berth-test/base:1",
      "  instances: [a, b]",
      `  command: [sh, -c, "${IDLE}"]`,
    );
  return `${lines.join("\n")}\n`;
}

function composeFile(services: number): string {
  const lines = ['version: "3.8"', "services:"];
  for (let i = 0; i < services; i++)
    lines.push(
      `  s${i}:`,
      "    image: berth-test/base:1",
      `    command: [sh, -c, "${IDLE}"]`,
      "    deploy: {replicas: 2, endpoint_mode: dnsrr}",
    );
  return `${lines.join("\n")}\n`;
}

/** Waits until every service whose name starts with `prefix` runs all its replicas; returns when. */
async function converged(
  engine: DockerEngine,
  filter: Record<string, string>,
  services: number,
): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const listed = await engine.listServices(filter);
    const done = listed.filter(
      (s) => (s.ServiceStatus?.RunningTasks ?? 0) >= (s.ServiceStatus?.DesiredTasks ?? 1),
    );
    if (listed.length === services && done.length === services) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("services did not converge in 120 s");
}

async function versions(engine: DockerEngine, filter: Record<string, string>): Promise<Map<string, number>> {
  return new Map((await engine.listServices(filter)).map((s) => [s.ID, s.Version.Index]));
}

function moved(before: Map<string, number>, after: Map<string, number>): number {
  return [...after].filter(([id, version]) => before.get(id) !== version).length;
}

async function removeServices(engine: DockerEngine, filter: Record<string, string>): Promise<void> {
  for (const service of await engine.listServices(filter))
    await engine.removeService(service.ID).catch(() => undefined);
}

async function main(): Promise<void> {
  const { services, runs } = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), "berth-swarm-bench-"));
  const manager = new DockerEngine({ baseUrl: `unix://${MANAGER}`, name: "bench" });
  const proxy = await startCountingProxy(join(dir, "proxy.sock"), MANAGER);
  const clientsFile = join(dir, "clients.yaml");
  writeFileSync(
    clientsFile,
    `sw: {base_url: "unix://${MANAGER}", mode: swarm, node_label: berth.test.node}\n`,
  );
  const clients = loadClientsFile(clientsFile);
  writeFileSync(join(dir, "stack.yaml"), composeFile(services));
  const rows: string[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      const name = `bench-sw-${r}-${process.pid}`;
      const stack = `bstk${r}${process.pid}`;
      const berthFilter = { [LABEL.map]: name };
      const stackFilter = { "com.docker.stack.namespace": stack };
      writeFileSync(join(dir, `${name}.yaml`), berthMap(name, services));
      const map = loadMap({ files: [join(dir, `${name}.yaml`)], clients });

      // berth: first deploy (waits for every replica itself), then a no-op redeploy.
      let started = performance.now();
      const up = await reconcile(map, openEngines(map, clients), { action: "startup", clients });
      const berthFirst = performance.now() - started;
      if (up.result?.ok !== true) throw new Error("berth startup failed");
      const berthBefore = await versions(manager, berthFilter);
      const engines = openEngines(map, clients);
      started = performance.now();
      const again = await reconcile(map, engines, { action: "update", clients });
      const berthNoop = performance.now() - started;
      const berthCalls = engines.sw?.calls.total ?? 0;
      const berthMoved = moved(berthBefore, await versions(manager, berthFilter));
      if (again.plan.steps.length !== 0) throw new Error("berth's no-op redeploy planned steps");

      // docker stack deploy: returns before the tasks run, so the time runs until they do.
      const env = { ...process.env, DOCKER_HOST: `unix://${MANAGER}` };
      started = performance.now();
      const deployed = await run("docker", ["stack", "deploy", "-c", join(dir, "stack.yaml"), stack], {
        env,
      });
      if (deployed.code !== 0) throw new Error(`docker stack deploy failed: ${deployed.stderr}`);
      await converged(manager, stackFilter, services);
      const stackFirst = performance.now() - started;
      const stackBefore = await versions(manager, stackFilter);
      proxy.reset();
      started = performance.now();
      const redeployed = await run("docker", ["stack", "deploy", "-c", join(dir, "stack.yaml"), stack], {
        env: { ...process.env, DOCKER_HOST: proxy.dockerHost },
      });
      const stackNoop = performance.now() - started;
      if (redeployed.code !== 0) throw new Error(`docker stack deploy failed: ${redeployed.stderr}`);
      const stackCalls = proxy.total();
      const stackMoved = moved(stackBefore, await versions(manager, stackFilter));

      rows.push(
        `run ${r + 1}: first deploy berth ${fmtMs(berthFirst)} vs stack ${fmtMs(stackFirst)}; ` +
          `no-op redeploy berth ${fmtMs(berthNoop)}, ${berthCalls} calls, ${berthMoved}/${services} services updated ` +
          `vs stack ${fmtMs(stackNoop)}, ${stackCalls} calls, ${stackMoved}/${services} services updated`,
      );
      log(rows.at(-1) as string);
      await reconcile(map, openEngines(map, clients), { action: "shutdown", clients });
      await run("docker", ["stack", "rm", stack], { env });
      await removeServices(manager, berthFilter);
      await removeServices(manager, stackFilter);
      // Let the tasks of this round go before the next one starts.
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  } finally {
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${services} services × 2 replicas, ${runs} run(s)\n${rows.join("\n")}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`swarm-bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
