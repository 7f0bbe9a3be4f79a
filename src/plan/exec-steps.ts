import { execDigest, type ExecRecord } from "../desired/map-state.js";
import { scrubSecrets, secretValuesOf } from "../desired/sensitive.js";
import type { ResolvedExec } from "../map/model.js";
import type { PlanContext } from "./plan-context.js";
import type { ExecRecordUpdate, Reason } from "./plan-types.js";

/**
 * How a container comes to run its exec commands in this plan: made by it (`made` is the step
 * after which it exists under its final name), started again, or found running.
 */
export type ExecOccasion =
  { kind: "created"; made: string } | { kind: "started"; id: string } | { kind: "running"; id: string };

/**
 * Which exec commands run, and why. After a create every command runs. After a start the
 * `restart` commands run, and each `initial` one not yet run successfully in this container. In a
 * running container every command not yet run successfully since its start runs (added, edited,
 * or failed last time). The record says what ran (state record, by container id).
 */
export function execsToRun(
  commands: readonly ResolvedExec[],
  occasion: ExecOccasion,
  record: ExecRecord,
): { exec: ResolvedExec; reason: Reason | undefined }[] {
  const out: { exec: ResolvedExec; reason: Reason | undefined }[] = [];
  for (const exec of commands) {
    if (occasion.kind === "created") {
      out.push({ exec, reason: undefined });
      continue;
    }
    const last = record[execDigest(exec)];
    if (occasion.kind === "started" && exec.policy === "restart") {
      out.push({ exec, reason: undefined });
    } else if (last !== 0) {
      out.push({ exec, reason: { message: `exec \`${exec.text}\` ${notRunBecause(last)}` } });
    }
  }
  return out;
}

function notRunBecause(last: number | null | undefined): string {
  if (last === undefined) return "has not run in this container (added or edited since)";
  return last === null ? "failed last time" : `failed last time (exit ${last})`;
}

/**
 * Adds the exec steps of a container, one after the other after `after`, and notes what the
 * state record must learn from them. Returns the last step (undefined when none was added).
 */
export function emitExecSteps(
  ctx: PlanContext,
  key: string,
  occasion: ExecOccasion,
  after: (string | undefined)[],
): string | undefined {
  const ref = ctx.containerRef(key);
  const container = ctx.container(key);
  const record = occasion.kind === "created" ? {} : ctx.execRecord(occasion.id);
  const chosen = execsToRun(container.execCommands, occasion, record);
  if (chosen.length === 0) return undefined;
  const reasons = chosen.flatMap((c) => (c.reason === undefined ? [] : [c.reason]));
  if (reasons.length > 0) {
    // A command written with a secret's value in it must not show it in the plan.
    const secrets = secretValuesOf(ctx.resolved);
    const scrubbed = reasons.map((r) => ({ ...r, message: scrubSecrets(r.message, secrets) }));
    ctx.builder.change(ref, "exec", scrubbed);
  }
  let previous = after;
  let last: string | undefined;
  const ran: ExecRecordUpdate["ran"] = [];
  for (const { exec } of chosen) {
    last = ctx.builder.add({
      type: "exec",
      object: ref,
      container: ref.name,
      command: exec.cmd,
      text: exec.text,
      user: exec.user ?? null,
      detach: exec.detach,
      timeoutMs: exec.timeoutMs ?? null,
      after: previous,
    });
    previous = [last];
    ran.push({ digest: execDigest(exec), step: last });
  }
  const kept: ExecRecord = {};
  for (const exec of container.execCommands) {
    const digest = execDigest(exec);
    const value = record[digest];
    if (value !== undefined) kept[digest] = value;
  }
  ctx.noteExecs({
    container: ref.name,
    id: occasion.kind === "created" ? null : occasion.id,
    made: occasion.kind === "created" ? occasion.made : null,
    kept,
    ran,
  });
  return last;
}
