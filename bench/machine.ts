import { execFileSync } from "node:child_process";
import { cpus, loadavg, release, totalmem } from "node:os";
import type Docker from "dockerode";
import { composeVersion } from "./processes.js";

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  engine: string;
  engineApi: string;
  storageDriver: string;
  compose: string;
  /** The berth source measured: commit, and whether src/ had changes not yet committed. */
  source: string;
  /** 1-minute load average when the run began and ended: how busy the shared machine was. */
  loadStart: number;
  loadEnd?: number;
}

export async function describeMachine(docker: Docker): Promise<Machine> {
  const version = (await docker.version()) as { Version: string; ApiVersion: string };
  const info = (await docker.info()) as { Driver?: string };
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    node: process.version,
    engine: version.Version,
    engineApi: version.ApiVersion,
    storageDriver: info.Driver ?? "unknown",
    compose: await composeVersion(),
    source: sourceState(),
    loadStart: loadavg()[0] ?? 0,
  };
}

export function currentLoad(): number {
  return loadavg()[0] ?? 0;
}

/** `abc1234` or `abc1234 + uncommitted changes in src/ (N files)`; "unknown" outside git. */
export function sourceState(): string {
  const git = (...args: string[]) =>
    execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  try {
    const head = git("rev-parse", "--short", "HEAD");
    const changed = git("status", "--porcelain", "--", "src", "package.json")
      .split("\n")
      .filter((l) => l !== "");
    return changed.length === 0
      ? head
      : `${head} + uncommitted changes (${changed.length} files in src/, package.json)`;
  } catch {
    return "unknown";
  }
}
