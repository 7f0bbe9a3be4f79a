import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { expect } from "vitest";
import type { DockerEngine } from "../../src/engine/docker-engine.js";
import { LABEL } from "../../src/model/labels.js";
import type { ApplyResult } from "../../src/apply/executor.js";
import type { ObjectChange, Plan, Step } from "../../src/plan/plan-types.js";
import { berth, REPO_ROOT, type CliRun } from "./cli.js";

/** schemas/plan.schema.json, when it exists: `plan --json` output must validate against it. */
export const PLAN_SCHEMA_PATH = join(REPO_ROOT, "schemas/plan.schema.json");

let planValidator: ValidateFunction | undefined;

/**
 * Checks a plan (as printed by `--json`) against schemas/plan.schema.json. Returns false, checking
 * nothing, when the schema file does not exist yet.
 */
export function expectPlanMatchesSchema(plan: unknown): boolean {
  if (!existsSync(PLAN_SCHEMA_PATH)) return false;
  if (planValidator === undefined) {
    const ajv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true });
    addFormats.default(ajv);
    planValidator = ajv.compile(JSON.parse(readFileSync(PLAN_SCHEMA_PATH, "utf8")) as object);
  }
  const ok = planValidator(plan);
  expect(ok ? [] : planValidator.errors, "plan --json output against schemas/plan.schema.json").toEqual([]);
  return true;
}

/** `berth <files> plan --json [args]`: the parsed plan (schema-checked when the schema exists). */
export async function planJson(fileArgs: string[], args: string[] = []): Promise<Plan> {
  const run = await berth([...fileArgs, "plan", "--json", ...args]);
  expect(run.code, run.stderr).toBe(0);
  const plan = JSON.parse(run.stdout) as Plan;
  expectPlanMatchesSchema(plan);
  return plan;
}

/** `berth <files> COMMAND --json --progress quiet [args]`: the run and its parsed plan and result. */
export async function runJson(
  fileArgs: string[],
  command: string,
  args: string[] = [],
  env?: Record<string, string>,
): Promise<CliRun & { plan: Plan; result: ApplyResult }> {
  const run = await berth(
    [...fileArgs, command, "--json", "--progress", "quiet", ...args],
    env ? { env } : {},
  );
  let parsed: { plan: Plan; result: ApplyResult };
  try {
    parsed = JSON.parse(run.stdout) as { plan: Plan; result: ApplyResult };
  } catch {
    throw new Error(`berth ${command} printed no JSON (exit ${run.code}): ${run.stderr}`);
  }
  return { ...run, ...parsed };
}

/** The changes of a plan as `change name` lines, sorted, e.g. `recreate bt-x.web`. */
export function changeLines(plan: Plan, kinds?: ObjectChange["object"]["kind"][]): string[] {
  return plan.changes
    .filter((c) => kinds === undefined || kinds.includes(c.object.kind))
    .map((c) => `${c.change} ${c.object.name}`)
    .sort();
}

/** The steps of a plan as `type name` lines, sorted. */
export function stepLines(steps: readonly Step[]): string[] {
  return steps.map((s) => `${s.type} ${s.object.name}`).sort();
}

/** The map's containers by name → id and state (lock and helper containers left out). */
export async function mapContainers(
  engine: DockerEngine,
  mapName: string,
): Promise<Map<string, { id: string; state: string }>> {
  const listed = await engine.listContainers({ [LABEL.map]: mapName });
  return new Map(
    listed
      .filter((c) => (c.Labels?.[LABEL.kind] ?? "container") === "container")
      .map((c) => [
        (c.Names.find((n) => n.lastIndexOf("/") === 0) ?? c.Names[0] ?? c.Id).replace(/^\//, ""),
        { id: c.Id, state: c.State },
      ]),
  );
}

/** Ids by container name. */
export async function idsByName(engine: DockerEngine, mapName: string): Promise<Record<string, string>> {
  const containers = await mapContainers(engine, mapName);
  return Object.fromEntries([...containers].map(([name, c]) => [name, c.id]));
}

/** A TCP port that is free on this machine right now (for published ports in tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "0.0.0.0", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Anonymous (64-hex) volumes a container mounts. */
export function anonymousVolumes(mounts: { Type?: string; Name?: string }[] | undefined): string[] {
  return (mounts ?? [])
    .filter((m) => m.Type === "volume" && /^[0-9a-f]{64}$/.test(m.Name ?? ""))
    .map((m) => m.Name as string);
}
