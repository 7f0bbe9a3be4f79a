import { text } from "../common/text.js";
import type { ChangeKind, Cause, ObjectChange, Plan, Reason } from "./plan-types.js";

/** Symbols of the human plan, as in Terraform's: + create, ~ recreate, > start, - remove, ! in place. */
export const CHANGE_SYMBOLS: Record<ChangeKind, string> = {
  create: "+",
  recreate: "~",
  start: ">",
  stop: "<",
  restart: ">",
  kill: "x",
  remove: "-",
  update: "!",
  reconnect: "!",
  rename: "~",
  prepare: "!",
  pull: "+",
  exec: "!",
  build: "+",
  outdated: "*",
  orphan: "?",
  skip: ".",
};

const VERBS: Record<ChangeKind, string> = {
  create: "will be created",
  recreate: "will be recreated",
  start: "will be started",
  stop: "will be stopped",
  restart: "will be restarted",
  kill: "will be killed",
  remove: "will be removed",
  update: "will be updated in place",
  reconnect: "will be reconnected",
  rename: "will be renamed",
  prepare: "will be prepared",
  pull: "will be pulled",
  exec: "will run exec commands",
  build: "will be built",
  outdated: "is outdated (startup leaves it; update changes it)",
  orphan: "is not in the map (orphan)",
  skip: "is left as it is",
};

type Paint = (style: "green" | "yellow" | "red" | "cyan" | "dim" | "bold", text: string) => string;

const CODES = { green: 32, yellow: 33, red: 31, cyan: 36, dim: 2, bold: 1 } as const;

export function painter(color: boolean): Paint {
  return color ? (style, t) => `\u001b[${CODES[style]}m${t}\u001b[0m` : (_style, t) => t;
}

const STYLE: Record<ChangeKind, Parameters<Paint>[0]> = {
  create: "green",
  pull: "green",
  build: "green",
  recreate: "yellow",
  rename: "yellow",
  update: "yellow",
  reconnect: "yellow",
  prepare: "yellow",
  exec: "cyan",
  start: "cyan",
  restart: "cyan",
  stop: "red",
  kill: "red",
  remove: "red",
  outdated: "dim",
  orphan: "dim",
  skip: "dim",
};

/**
 * The plan for people: one block per object with its reasons, then the work it leaves undone, the
 * warnings and a summary line.
 */
export function renderPlanText(plan: Plan, options: { color?: boolean } = {}): string {
  const paint = painter(options.color ?? false);
  const lines: string[] = [];
  const targets = plan.options.targets.length > 0 ? ` for ${plan.options.targets.join(", ")}` : "";
  lines.push(paint("bold", `berth ${plan.options.action}${targets}: map ${plan.map}`));
  lines.push("");
  for (const change of orderChanges(plan.changes)) {
    lines.push(...renderChange(change, paint));
  }
  if (plan.changes.length > 0) lines.push("");
  const undone = plan.undone ?? [];
  for (const u of undone) lines.push(paint("red", `undone: ${u.message}`));
  if (undone.length > 0) lines.push("");
  for (const warning of plan.warnings) lines.push(paint("yellow", `warning: ${warning}`));
  if (plan.warnings.length > 0) lines.push("");
  lines.push(summaryLine(plan));
  return `${lines.join("\n")}\n`;
}

function orderChanges(changes: readonly ObjectChange[]): ObjectChange[] {
  const rank = (c: ObjectChange) =>
    c.change === "orphan" || c.change === "outdated" || c.change === "skip" ? 1 : 0;
  return [...changes].sort((a, b) => rank(a) - rank(b));
}

function renderChange(change: ObjectChange, paint: Paint): string[] {
  const symbol = CHANGE_SYMBOLS[change.change];
  const client = change.object.client === "default" ? "" : ` on ${change.object.client}`;
  const head = `  ${paint(STYLE[change.change], symbol)} ${change.object.kind} ${paint("bold", change.object.name)}${client} ${VERBS[change.change]}`;
  return [head, ...change.reasons.map((r) => `      ${paint("dim", "·")} ${describeReason(r)}`)];
}

/** `environment.FOO: "1" → "2"`, or the reason's message with its cause chain. */
export function describeReason(reason: Reason): string {
  // A plain field change reads best as `field: old → new`; other reasons have their own words.
  const plainChange = reason.field !== undefined && reason.message === `${reason.field} changed`;
  if (plainChange && (reason.old !== undefined || reason.new !== undefined)) {
    return `${reason.field}: ${showValue(reason.old)} → ${showValue(reason.new)}`;
  }
  return reason.cause?.because === undefined
    ? reason.message
    : `${reason.message}, because ${describeCause(reason.cause.because)}`;
}

const CAUSE_VERBS: Record<Cause["change"], string> = {
  create: "created",
  recreate: "recreated",
  replaced: "replaced",
  start: "started",
  restart: "restarted",
  restarted: "started again outside berth",
};
function describeCause(cause: Cause): string {
  const own = `${cause.object} is ${CAUSE_VERBS[cause.change]} (${cause.edge})`;
  return cause.because === undefined ? own : `${own}, because ${describeCause(cause.because)}`;
}

function showValue(value: unknown): string {
  if (value === undefined) return "(none)";
  if (Array.isArray(value)) return value.length === 0 ? "(none)" : value.map((v) => text(v)).join(", ");
  if (typeof value === "string") return JSON.stringify(value);
  return text(value);
}

/** What a plan without steps leaves as it is, so "No changes" never hides a difference. */
function leftAsIs(plan: Plan): string[] {
  const count = (kind: ChangeKind) => plan.changes.filter((c) => c.change === kind).length;
  const out: string[] = [];
  const outdated = count("outdated");
  if (outdated > 0) out.push(`${outdated} object(s) are outdated (\`berth update\` brings them in line)`);
  const orphans = count("orphan");
  if (orphans > 0)
    out.push(`${orphans} object(s) of the map are no longer in it (\`--remove-orphans\` removes them)`);
  const skipped = count("skip");
  if (skipped > 0) out.push(`${skipped} object(s) are left as they are (see their reasons above)`);
  const undone = plan.undone?.length ?? 0;
  if (undone > 0) out.push(undoneText(undone));
  return out;
}

const undoneText = (n: number) => `${n} part(s) of the work asked for cannot be done`;

/**
 * A quick look (the default) reads the engine's lists and berth's labels: it cannot see a setting
 * changed by hand with `docker update` (memory, cpu, restart policy), so it does not claim more.
 */
const NO_CHANGES_QUICK =
  "No changes. The engine matches the map as far as its lists and berth's labels show (`--refresh full` also compares each container's settings, e.g. ones changed with `docker update`).";
const NO_CHANGES_FULL = "No changes. The engine matches the map.";

export function summaryLine(plan: Plan): string {
  if (plan.steps.length === 0) {
    const left = leftAsIs(plan);
    if (left.length > 0)
      return `No changes for ${plan.options.action}, but not everything matches the map: ${left.join("; ")}.`;
    return plan.options.refresh === "full" ? NO_CHANGES_FULL : NO_CHANGES_QUICK;
  }
  const s = plan.summary;
  const parts = [
    `${s.create} to create`,
    `${s.recreate} to recreate`,
    `${s.start} to start`,
    `${s.update} to update in place`,
    `${s.stop} to stop`,
    `${s.remove} to remove`,
  ];
  if (s.other > 0) parts.push(`${s.other} other change(s)`);
  const undone = plan.undone?.length ?? 0;
  return `Plan: ${parts.join(", ")} (${plan.steps.length} step(s))${undone > 0 ? `; ${undoneText(undone)}` : ""}.`;
}

export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}
