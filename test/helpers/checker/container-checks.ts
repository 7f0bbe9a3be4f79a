import type { ContainerFacts, EngineWorld, ImageFacts } from "./engine-facts.js";
import type { ExpectedContainer, ExpectedMap } from "./expected-map.js";

/** What every check gets: the map, the world it saw, the container and its facts. */
export interface ContainerCheck {
  map: ExpectedMap;
  world: EngineWorld;
  expected: ExpectedContainer;
  facts: ContainerFacts;
}

export const show = (value: unknown): string => JSON.stringify(value ?? null);

/** Running, unless the map lets it be stopped: persistent ones that ran, jobs that completed. */
export function checkState({ map, expected, facts }: ContainerCheck): string[] {
  const state = facts.inspect.State;
  if (state.Running) return [];
  const ran = !state.StartedAt.startsWith("0001-");
  if (expected.persistent && ran) return [];
  if (isJob(map, expected) && ran && state.ExitCode === 0) return [];
  const status = state.Status === "exited" ? `exited (${state.ExitCode})` : state.Status;
  return [`is ${status}, map says running`];
}

/** A container some other one waits on with `condition: completed`: it is meant to exit. */
function isJob(map: ExpectedMap, expected: ExpectedContainer): boolean {
  return map.containers.some((other) =>
    other.dependsOn.some(
      (d) => d.condition === "completed" && (d.container === expected.key || d.container === expected.config),
    ),
  );
}

export function checkImage({ world, expected, facts }: ContainerCheck): string[] {
  const image = world.images.get(expected.image);
  if (image === undefined) return [`image ${expected.image} is not on the engine`];
  if (facts.inspect.Image === image.Id) return [];
  return [`runs image ${short(facts.inspect.Image)}, but ${expected.image} is ${short(image.Id)} now`];
}

const short = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);

function envRecord(list: string[] | null): Map<string, string> {
  const record = new Map<string, string>();
  for (const item of list ?? []) {
    const at = item.indexOf("=");
    if (at < 0) record.set(item, "");
    else record.set(item.slice(0, at), item.slice(at + 1));
  }
  return record;
}

/** Every variable the map sets has its value; every other one comes from the image unchanged. */
export function checkEnv({ world, expected, facts }: ContainerCheck): string[] {
  const actual = envRecord(facts.inspect.Config.Env);
  const fromImage = envRecord(world.images.get(expected.image)?.Config.Env ?? null);
  const problems: string[] = [];
  for (const [name, value] of Object.entries(expected.environment)) {
    const seen = actual.get(name);
    if (seen === undefined) problems.push(`env ${name} is not set, map says ${show(value)}`);
    else if (seen !== value) problems.push(`env ${name} is ${show(seen)}, map says ${show(value)}`);
  }
  for (const [name, value] of actual) {
    if (name in expected.environment || fromImage.get(name) === value) continue;
    problems.push(`env ${name} is ${show(value)}, map does not set it`);
  }
  return problems;
}

/** Command and entrypoint: the map's, or else the image's (an entrypoint of the map drops the image's command). */
export function checkProcess({ world, expected, facts }: ContainerCheck): string[] {
  const image: ImageFacts["Config"] | undefined = world.images.get(expected.image)?.Config;
  const config = facts.inspect.Config;
  const problems: string[] = [];
  const wantEntrypoint = expected.entrypoint ?? image?.Entrypoint ?? [];
  const wantCommand = expected.command ?? (expected.entrypoint ? [] : (image?.Cmd ?? []));
  if (show(config.Entrypoint ?? []) !== show(wantEntrypoint)) {
    problems.push(`entrypoint is ${show(config.Entrypoint)}, map says ${show(wantEntrypoint)}`);
  }
  if (show(config.Cmd ?? []) !== show(wantCommand)) {
    problems.push(`command is ${show(config.Cmd)}, map says ${show(wantCommand)}`);
  }
  if (expected.user !== undefined && config.User !== expected.user) {
    problems.push(`user is ${show(config.User)}, map says ${show(expected.user)}`);
  }
  if (expected.working_dir !== undefined && config.WorkingDir !== expected.working_dir) {
    problems.push(`working_dir is ${show(config.WorkingDir)}, map says ${show(expected.working_dir)}`);
  }
  const sharesStack = expected.networkMode.kind === "container" || expected.networkMode.kind === "host";
  if (expected.hostname !== undefined && !sharesStack && config.Hostname !== expected.hostname) {
    problems.push(`hostname is ${show(config.Hostname)}, map says ${show(expected.hostname)}`);
  }
  for (const [label, value] of Object.entries(expected.labels)) {
    const seen = config.Labels?.[label];
    if (seen !== value) problems.push(`label ${label} is ${show(seen)}, map says ${show(value)}`);
  }
  return problems;
}

/** host_config keys the checker compares, with their inspect names and the value when unset. */
const LIMITS: { key: string; field: string; unset?: unknown[] }[] = [
  { key: "mem_limit", field: "Memory", unset: [0] },
  { key: "memswap_limit", field: "MemorySwap" },
  { key: "mem_reservation", field: "MemoryReservation", unset: [0] },
  { key: "cpu_shares", field: "CpuShares", unset: [0] },
  { key: "cpu_quota", field: "CpuQuota", unset: [0] },
  { key: "cpu_period", field: "CpuPeriod", unset: [0] },
  { key: "pids_limit", field: "PidsLimit", unset: [0, null, -1] },
  { key: "cpuset_cpus", field: "CpusetCpus", unset: [""] },
  { key: "blkio_weight", field: "BlkioWeight", unset: [0] },
];

export function checkLimits({ expected, facts }: ContainerCheck): string[] {
  const host = facts.inspect.HostConfig;
  const problems: string[] = [];
  for (const { key, field, unset } of LIMITS) {
    const want = expected.host_config[key];
    const seen = host[field] ?? null;
    if (want !== undefined && seen !== want) problems.push(`${key} is ${show(seen)}, map says ${show(want)}`);
    // Absent or null in the inspect answer means the engine's default: nothing set.
    if (want === undefined && unset !== undefined && seen !== null && !unset.includes(seen)) {
      problems.push(`${key} is ${show(seen)}, map sets none`);
    }
  }
  if (expected.host_config.mem_limit === undefined && expected.host_config.memswap_limit === undefined) {
    const swap = host.MemorySwap ?? 0;
    if (swap !== 0 && swap !== -1) problems.push(`memswap_limit is ${show(swap)}, map sets none`);
  }
  return [...problems, ...checkRestart(expected.restart, host.RestartPolicy)];
}

function checkRestart(
  restart: string | undefined,
  policy: { Name: string; MaximumRetryCount: number },
): string[] {
  const [name = "no", retries = "0"] = (restart ?? "no").split(":");
  const seenName = policy.Name === "" ? "no" : policy.Name;
  const seenRetries = name === "on-failure" ? policy.MaximumRetryCount : 0;
  if (seenName === name && seenRetries === Number(retries)) return [];
  const seen =
    seenName === "on-failure" && policy.MaximumRetryCount > 0
      ? `on-failure:${policy.MaximumRetryCount}`
      : seenName;
  return [`restart policy is ${show(seen)}, map says ${show(restart ?? "no")}`];
}

/** The map's health check is the container's, and a running container with one is healthy. */
export function checkHealth({ expected, facts }: ContainerCheck): string[] {
  const test = expected.healthcheck?.test;
  if (test === undefined || test.length === 0) return [];
  const seenTest = facts.inspect.Config.Healthcheck?.Test;
  if (show(seenTest) !== show(test)) return [`health check is ${show(seenTest)}, map says ${show(test)}`];
  if (test[0] === "NONE" || !facts.inspect.State.Running) return [];
  const status = facts.inspect.State.Health?.Status ?? "none";
  return status === "healthy" ? [] : [`health is ${status}, map asks for a passing health check`];
}

/**
 * Files an exec command makes, which must exist once it has run: the paths of `touch PATH…`, also
 * inside a `sh -c` script. Other commands leave nothing the checker can see.
 */
export function execMarkerPaths(cmd: string[]): string[] {
  if (cmd[0] === "touch") return cmd.slice(1).filter((arg) => arg.startsWith("/"));
  if (cmd[0] !== "sh" || cmd[1] !== "-c" || cmd[2] === undefined) return [];
  return [...cmd[2].matchAll(/(?:^|[;&|]\s*)touch\s+(\/[^\s;&|]+)/g)].map((m) => m[1] ?? "");
}

export function checkExecs({ expected, facts }: ContainerCheck): string[] {
  if (!facts.inspect.State.Running) return [];
  const problems: string[] = [];
  for (const exec of expected.execCommands) {
    for (const path of execMarkerPaths(exec.cmd)) {
      if (facts.paths[path] !== true)
        problems.push(`exec ${show(exec.cmd.join(" "))} has not run: ${path} is missing`);
    }
  }
  return problems;
}
