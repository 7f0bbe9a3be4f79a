import type { ProgressEvent } from "../../apply/progress-events.js";
import type { ObjectRef, Step, StepType } from "../../plan/plan-types.js";

/** Where an object is in its run, as its row's mark shows it. */
export type Phase = "waiting" | "running" | "done" | "failed" | "skipped";

/** One object's row of the live display, in words (the frame lays it out). */
export interface Row {
  /** `Container web.a`, `Network back`, `Image nginx:1` (`e2:` before the name on another engine). */
  label: string;
  phase: Phase;
  /** `Waiting for db (healthy)`, `Creating`, `Healthy`, `Failed`. */
  status: string;
  /** The last line of a pull's or build's output, a failure's message, why it was skipped. */
  detail?: string;
  /** Time since the object's first step started (to its last step's end); none before it starts. */
  elapsedMs?: number;
}

export interface Counts {
  /** Objects whose steps all ended (done, failed, skipped or cancelled). */
  finished: number;
  total: number;
  failed: number;
}

type StepStatus = "pending" | "running" | "done" | "failed" | "skipped" | "cancelled";

interface StepProgress {
  step: Step;
  status: StepStatus;
  startedAt?: number;
  endedAt?: number;
  /** The step this one was skipped after (a failed dependency). */
  skippedAfter?: string;
}

interface ObjectProgress {
  ref: ObjectRef;
  steps: StepProgress[];
  /** A recreate: its create, stop, remove and rename steps read as one "Recreating". */
  recreate: boolean;
  /** The last line of a running step's output. */
  output?: string;
  error?: string;
}

/** What a step is doing while it runs, and what it did once it is done, in the words of `docker` and Compose. */
const WORDS: Record<StepType, { running: string; done: string; condition: string }> = {
  "pull-image": { running: "Pulling", done: "Pulled", condition: "pulled" },
  "build-image": { running: "Building", done: "Built", condition: "built" },
  "create-network": { running: "Creating", done: "Created", condition: "created" },
  "remove-network": { running: "Removing", done: "Removed", condition: "removed" },
  "connect-network": { running: "Connecting", done: "Connected", condition: "connected" },
  "disconnect-network": { running: "Disconnecting", done: "Disconnected", condition: "disconnected" },
  "create-volume": { running: "Creating", done: "Created", condition: "created" },
  "remove-volume": { running: "Removing", done: "Removed", condition: "removed" },
  "prepare-volume": { running: "Preparing", done: "Prepared", condition: "prepared" },
  "create-container": { running: "Creating", done: "Created", condition: "created" },
  "start-container": { running: "Starting", done: "Started", condition: "started" },
  "stop-container": { running: "Stopping", done: "Stopped", condition: "stopped" },
  "kill-container": { running: "Killing", done: "Killed", condition: "killed" },
  "remove-container": { running: "Removing", done: "Removed", condition: "removed" },
  "rename-container": { running: "Renaming", done: "Renamed", condition: "renamed" },
  "update-container": { running: "Updating", done: "Updated", condition: "updated" },
  exec: { running: "Running exec", done: "Exec done", condition: "exec done" },
  "record-state": { running: "Recording", done: "Recorded", condition: "recorded" },
  "wait-healthy": { running: "Started, waiting until healthy", done: "Healthy", condition: "healthy" },
  "wait-completed": { running: "Running to completion", done: "Completed", condition: "completed" },
  "create-swarm-network": { running: "Creating", done: "Created", condition: "created" },
  "create-service": { running: "Creating", done: "Created", condition: "created" },
  "update-service": { running: "Updating", done: "Updated", condition: "updated" },
  "remove-service": { running: "Removing", done: "Removed", condition: "removed" },
  "scale-service": { running: "Scaling", done: "Scaled", condition: "scaled" },
  "restart-service": { running: "Restarting tasks", done: "Restarted", condition: "restarted" },
  "wait-service": { running: "Waiting for tasks", done: "Running", condition: "running" },
};

/** The steps that replace a container: together they read "Recreating", then "Recreated". */
const RECREATE_STEPS: ReadonlySet<StepType> = new Set([
  "create-container",
  "stop-container",
  "remove-container",
  "rename-container",
]);

const KIND_LABEL: Record<ObjectRef["kind"], string> = {
  container: "Container",
  volume: "Volume",
  network: "Network",
  image: "Image",
  service: "Service",
};

/**
 * The state of a run as the live display sees it, fed with progress events: one entry per object
 * of the plan (in the plan's order), each with its steps and how far they got. Rows are derived
 * from it at a given time; nothing here writes to a terminal.
 */
export class DisplayModel {
  map = "";
  startedAt: number | undefined;
  endedAt: number | undefined;
  private readonly objects = new Map<string, ObjectProgress>();
  private readonly steps = new Map<string, StepProgress & { owner: ObjectProgress }>();

  apply(event: ProgressEvent): void {
    switch (event.type) {
      case "run-start":
        this.map = event.map;
        this.startedAt = event.time;
        for (const step of event.plan ?? []) this.track(step);
        return;
      case "step-start": {
        const entry = this.track(event.step);
        entry.status = "running";
        entry.startedAt = event.time;
        // A new step's output replaces the last one's.
        delete entry.owner.output;
        return;
      }
      case "step-output":
        this.track(event.step).owner.output = event.line;
        return;
      case "step-done":
      case "step-failed":
      case "step-skipped":
      case "step-cancelled": {
        const entry = this.track(event.step);
        entry.status = STATUS_OF[event.type];
        entry.endedAt = event.time;
        if (entry.startedAt === undefined && "durationMs" in event)
          entry.startedAt = event.time - event.durationMs;
        if (event.type === "step-failed") entry.owner.error = event.error;
        if (event.type === "step-skipped") entry.skippedAfter = event.because.split(" ")[0];
        if (event.type !== "step-failed") delete entry.owner.output;
        return;
      }
      case "run-done":
        this.endedAt = event.time;
        return;
      case "lock-wait":
        return;
    }
  }

  counts(): Counts {
    let finished = 0;
    let failed = 0;
    for (const object of this.objects.values()) {
      const phase = phaseOf(object);
      if (phase === "failed") failed++;
      if (phase === "done" || phase === "failed" || phase === "skipped") finished++;
    }
    return { finished, total: this.objects.size, failed };
  }

  /** One row per object, in the plan's order, as it stands at `now`. */
  rows(now: number): Row[] {
    return [...this.objects.values()].map((object) => this.row(object, now));
  }

  private track(step: Step): StepProgress & { owner: ObjectProgress } {
    const known = this.steps.get(step.id);
    if (known !== undefined) return known;
    const id = objectId(step.object);
    let owner = this.objects.get(id);
    if (owner === undefined) {
      owner = { ref: step.object, steps: [], recreate: false };
      // The state record is berth's bookkeeping, not an object people asked for: no row.
      if (step.type !== "record-state") this.objects.set(id, owner);
    }
    const entry = { step, status: "pending" as StepStatus, owner };
    owner.steps.push(entry);
    const types = new Set(owner.steps.map((s) => s.step.type));
    owner.recreate = types.has("create-container") && types.has("remove-container");
    this.steps.set(step.id, entry);
    return entry;
  }

  private row(object: ObjectProgress, now: number): Row {
    const phase = phaseOf(object);
    const row: Row = { label: labelOf(object.ref), phase, status: "" };
    const elapsed = elapsedOf(object, now);
    if (elapsed !== undefined) row.elapsedMs = elapsed;
    switch (phase) {
      case "failed":
        row.status = "Failed";
        if (object.error !== undefined) row.detail = object.error;
        break;
      case "running": {
        const running = object.steps.filter((s) => s.status === "running");
        const step = (running[running.length - 1] as StepProgress).step;
        row.status = wordFor(object, step, "running");
        if (object.output !== undefined) row.detail = object.output;
        break;
      }
      case "skipped": {
        const skipped = object.steps.find((s) => s.status === "skipped");
        row.status = skipped === undefined ? "Cancelled" : "Skipped";
        const after = skipped?.skippedAfter === undefined ? undefined : this.steps.get(skipped.skippedAfter);
        if (after !== undefined) row.detail = `after ${nameOf(after.owner.ref)} ${after.status}`;
        break;
      }
      case "done": {
        const last = lastEnded(object);
        row.status = last === undefined ? "Done" : wordFor(object, last.step, "done");
        break;
      }
      case "waiting":
        row.status = this.waitingStatus(object);
        break;
    }
    return row;
  }

  /**
   * `Waiting for db (healthy), back (created)`: the other objects whose steps this one's pending
   * steps wait for, each with the last (strongest) such step; when its next step only waits for
   * a free slot, `Waiting` (or the last thing it did).
   */
  private waitingStatus(object: ObjectProgress): string {
    const blockers = new Map<ObjectProgress, StepProgress>();
    for (const own of object.steps) {
      if (own.status !== "pending") continue;
      for (const id of own.step.after) {
        const dependency = this.steps.get(id);
        if (dependency === undefined || dependency.owner === object || dependency.status === "done") continue;
        if (!this.objects.has(objectId(dependency.owner.ref))) continue;
        const known = blockers.get(dependency.owner);
        if (
          known === undefined ||
          planIndex(dependency.owner, dependency) > planIndex(dependency.owner, known)
        )
          blockers.set(dependency.owner, dependency);
      }
    }
    if (blockers.size === 0) {
      // Only a free slot missing: what it did last (`Created`), without a mark of being done.
      const last = lastEnded(object);
      return last === undefined ? "Waiting" : wordFor(object, last.step, "done");
    }
    const order = [...this.objects.values()];
    const what = [...blockers]
      .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
      .map(([owner, step]) => `${nameOf(owner.ref)} (${WORDS[step.step.type].condition})`);
    return `Waiting for ${what.join(", ")}`;
  }
}

const STATUS_OF = {
  "step-done": "done",
  "step-failed": "failed",
  "step-skipped": "skipped",
  "step-cancelled": "cancelled",
} as const;

function objectId(ref: ObjectRef): string {
  return `${ref.kind}:${ref.client}/${ref.name}`;
}

/** The name people gave it in the map (`web.a`), with its engine when that is not the default. */
function nameOf(ref: ObjectRef): string {
  return `${ref.client === "default" ? "" : `${ref.client}:`}${ref.key ?? ref.name}`;
}

function labelOf(ref: ObjectRef): string {
  return `${KIND_LABEL[ref.kind]} ${nameOf(ref)}`;
}

function phaseOf(object: ObjectProgress): Phase {
  const statuses = object.steps.map((s) => s.status);
  if (statuses.includes("failed")) return "failed";
  if (statuses.includes("running")) return "running";
  // What comes after a skipped step is skipped too (the executor skips it as soon as it can).
  if (statuses.includes("skipped") || statuses.includes("cancelled")) return "skipped";
  if (statuses.includes("pending")) return "waiting";
  return "done";
}

function wordFor(object: ObjectProgress, step: Step, when: "running" | "done"): string {
  if (object.recreate && RECREATE_STEPS.has(step.type))
    return when === "running" ? "Recreating" : "Recreated";
  return WORDS[step.type][when];
}

function lastEnded(object: ObjectProgress): StepProgress | undefined {
  let last: StepProgress | undefined;
  for (const s of object.steps) {
    if (s.endedAt === undefined || s.status !== "done") continue;
    // Equal end times (a fake clock, a fast engine): the later step in the plan is the later one.
    if (last === undefined || (last.endedAt as number) <= s.endedAt) last = s;
  }
  return last;
}

function planIndex(owner: ObjectProgress, step: StepProgress): number {
  return owner.steps.indexOf(step);
}

function elapsedOf(object: ObjectProgress, now: number): number | undefined {
  const starts = object.steps.flatMap((s) => (s.startedAt === undefined ? [] : [s.startedAt]));
  if (starts.length === 0) return undefined;
  const begin = Math.min(...starts);
  const open = object.steps.some((s) => s.status === "running" || s.status === "pending");
  const ends = object.steps.flatMap((s) => (s.endedAt === undefined ? [] : [s.endedAt]));
  const end = open || ends.length === 0 ? now : Math.max(...ends);
  return Math.max(0, end - begin);
}
