/**
 * Building blocks for planner tests over plain data: load a map from YAML text, plan against a
 * simulated world, apply, and read plans (steps by type and object, `after` order, changes and
 * their reasons).
 */
import { loadMap, type LoadedMap } from "../../src/load-map.js";
import { plan } from "../../src/plan/plan.js";
import type {
  ChangeKind,
  ObjectChange,
  Plan,
  PlanOptions,
  Step,
  StepOf,
  StepType,
} from "../../src/plan/plan-types.js";
import type { ClientContext } from "../../src/map/clients-file.js";
import { refreshEffective } from "../../src/observe/refresh.js";
import { ownedVolumes } from "../../src/reconcile.js";
import {
  applyPlan,
  observeWorld,
  writersOf,
  worldFor,
  type ApplyPlanOptions,
  type SimulatedWorld,
  type StepOrder,
} from "./simulated-engine.js";

export const MAP_NAME = "app";

/** A map from YAML text (no files, no process environment). */
export function mapOf(yaml: string, mapName = MAP_NAME): LoadedMap {
  return loadMap({ files: ["m.yaml"], texts: { "m.yaml": yaml }, mapName, env: {} });
}

export type PlanOptionsInput = Partial<PlanOptions> & { action?: PlanOptions["action"] };

/** Observes the world as berth would (lists + inspections) and plans; default action update. */
export async function planWorld(
  map: LoadedMap,
  world: SimulatedWorld,
  options: PlanOptionsInput = {},
  clients?: Record<string, ClientContext>,
): Promise<Plan> {
  const listed = await observeWorld(world, map, clients);
  // As observeAndPlan: `refresh: full` reads more (container inspects, volume folders).
  const observed =
    options.refresh === "full"
      ? await refreshEffective(writersOf(world), listed, map.name, ownedVolumes(map))
      : listed;
  return plan({
    map,
    observed,
    options: { action: "update", ...options },
    ...(clients === undefined ? {} : { clients }),
  });
}

export interface Converged {
  world: SimulatedWorld;
  plan: Plan;
  ran: string[];
}

/** Plans and applies once (default: update); returns the world after. */
export async function planAndApply(
  map: LoadedMap,
  world: SimulatedWorld,
  options: PlanOptionsInput = {},
  apply: ApplyPlanOptions = {},
): Promise<Converged> {
  const made = await planWorld(map, world, options, apply.clients);
  const applied = await applyPlan(world, made, map, apply);
  return { world: applied.world, plan: made, ran: applied.ran };
}

/** A world in which the map was brought up once by `update` (images present). */
export async function deployed(map: LoadedMap, order: StepOrder = "listed"): Promise<SimulatedWorld> {
  return (await planAndApply(map, worldFor(map), {}, { order })).world;
}

// ---- reading plans --------------------------------------------------------------------------------

export function stepsOfType<T extends StepType>(made: Plan, type: T): StepOf<T>[] {
  return made.steps.filter((s): s is StepOf<T> => s.type === type);
}

/** The one step of a type for an object (by map key, else Docker name); fails when not exactly one. */
export function stepFor<T extends StepType>(made: Plan, type: T, object: string): StepOf<T> {
  const found = stepsFor(made, type, object);
  if (found.length !== 1)
    throw new Error(
      `expected one ${type} step for ${object}, found ${found.length}:\n${describeSteps(made)}`,
    );
  return found[0] as StepOf<T>;
}

export function stepsFor<T extends StepType>(made: Plan, type: T, object: string): StepOf<T>[] {
  return stepsOfType(made, type).filter((s) => s.object.key === object || s.object.name === object);
}

export function hasStep(made: Plan, type: StepType, object: string): boolean {
  return stepsFor(made, type, object).length > 0;
}

/** `type object` per step, in plan order: a compact view for assertions and messages. */
export function stepSummary(made: Plan): string[] {
  return made.steps.map((s) => `${s.type} ${s.object.key ?? s.object.name}`);
}

export function describeSteps(made: Plan): string {
  return made.steps.map((s) => `  ${s.id} after [${s.after.join(", ")}]`).join("\n");
}

/** Whether step `later` waits (directly or through other steps) for step `earlier`. */
export function waitsFor(made: Plan, later: Step | string, earlier: Step | string): boolean {
  const byId = new Map(made.steps.map((s) => [s.id, s]));
  const target = typeof earlier === "string" ? earlier : earlier.id;
  const start = typeof later === "string" ? later : later.id;
  const seen = new Set<string>();
  const stack = [...(byId.get(start)?.after ?? [])];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (id === target) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(byId.get(id)?.after ?? []));
  }
  return false;
}

/** The change entries of an object (by map key, else Docker name). */
export function changesOf(made: Plan, object: string): ObjectChange[] {
  return made.changes.filter((c) => c.object.key === object || c.object.name === object);
}

export function changeOf(made: Plan, object: string, kind: ChangeKind): ObjectChange {
  const found = changesOf(made, object).filter((c) => c.change === kind);
  if (found.length !== 1)
    throw new Error(
      `expected one ${kind} change for ${object}, found ${found.length}: ${JSON.stringify(changesOf(made, object))}`,
    );
  return found[0] as ObjectChange;
}

/** Keys of the containers a plan recreates. */
export function recreatedKeys(made: Plan): string[] {
  return made.changes
    .filter((c) => c.object.kind === "container" && c.change === "recreate")
    .map((c) => c.object.key ?? c.object.name)
    .sort();
}

/** Keys of the containers a plan changes, with the change. */
export function containerChanges(made: Plan): Record<string, ChangeKind[]> {
  const out: Record<string, ChangeKind[]> = {};
  for (const change of made.changes) {
    if (change.object.kind !== "container") continue;
    (out[change.object.key ?? change.object.name] ??= []).push(change.change);
  }
  return out;
}
