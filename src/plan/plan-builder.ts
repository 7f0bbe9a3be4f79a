import { compareText } from "../common/text.js";
import type { ChangeKind, Fingerprint, ObjectChange, ObjectRef, Reason, Step, Undone } from "./plan-types.js";

type NewStep = Step extends infer S
  ? S extends Step
    ? Omit<S, "id" | "after" | "tolerates" | "needsOneOf"> & {
        after?: (string | undefined)[];
        tolerates?: (string | undefined)[];
        needsOneOf?: (string | undefined)[];
      }
    : never
  : never;

const REMOTE_PREFIX = "?remote:";
const isRemote = (id: string) => id.startsWith(REMOTE_PREFIX);

/** Collects a plan's steps, per-object changes, warnings and fingerprints; assigns stable ids. */
export class PlanBuilder {
  readonly steps: Step[] = [];
  readonly changes: ObjectChange[] = [];
  readonly warnings: string[] = [];
  readonly undone: Undone[] = [];
  private readonly fingerprints = new Map<string, Fingerprint>();
  private readonly ids = new Set<string>();

  /**
   * A stand-in for a step of another engine's part of the plan, which may not be planned yet (a
   * `depends_on` across engines): put in `after` now, replaced by `resolveRemote` once every
   * engine is planned.
   */
  remote(token: string): string {
    return `${REMOTE_PREFIX}${token}`;
  }

  /**
   * Replaces every stand-in of `remote` with the steps it stands for (none: nothing to wait for).
   * The only change made to a step once emitted: what it waits for on another engine.
   */
  resolveRemote(resolve: (token: string) => string | readonly string[] | undefined): void {
    const resolved = new Map<string, readonly string[]>();
    const lookup = (token: string): readonly string[] => {
      if (!resolved.has(token)) {
        const found = resolve(token);
        resolved.set(token, found === undefined ? [] : typeof found === "string" ? [found] : found);
      }
      return resolved.get(token) ?? [];
    };
    this.steps.forEach((step, index) => {
      if (!step.after.some(isRemote)) return;
      const after = step.after.flatMap((id) =>
        isRemote(id) ? lookup(id.slice(REMOTE_PREFIX.length)) : [id],
      );
      const clean = [...new Set(after)].sort();
      this.steps[index] = Object.freeze({ ...step, after: Object.freeze(clean) as string[] });
    });
  }

  add(step: NewStep): string {
    const base = `${step.type}:${step.object.client}/${step.object.name}`;
    let id = base;
    for (let n = 2; this.ids.has(id); n++) id = `${base}#${n}`;
    this.ids.add(id);
    const after = [...new Set((step.after ?? []).filter((s): s is string => s !== undefined))].sort();
    const tolerates = after.filter((s) => step.tolerates?.includes(s));
    const needsOneOf = after.filter((s) => step.needsOneOf?.includes(s));
    const { tolerates: _tolerates, needsOneOf: _needs, ...rest } = step;
    // Emitted steps are never changed: what waits for what is known when a step is added.
    this.steps.push(
      Object.freeze({
        ...rest,
        id,
        after: Object.freeze(after) as string[],
        ...(tolerates.length > 0 ? { tolerates: Object.freeze(tolerates) as string[] } : {}),
        ...(needsOneOf.length > 0 ? { needsOneOf: Object.freeze(needsOneOf) as string[] } : {}),
      }),
    );
    return id;
  }

  change(object: ObjectRef, change: ChangeKind, reasons: Reason[]): void {
    this.changes.push({ object, change, reasons });
  }

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  /** A part of the asked work this plan cannot do (see Plan.undone): the run is not a success. */
  leaveUndone(entry: Undone): void {
    if (!this.undone.some((u) => u.client === entry.client && u.message === entry.message))
      this.undone.push(entry);
  }

  fingerprint(print: Fingerprint): void {
    const key = `${print.object.kind}:${print.object.client}/${print.object.name}`;
    if (!this.fingerprints.has(key)) this.fingerprints.set(key, print);
  }

  observed(): Fingerprint[] {
    return [...this.fingerprints.values()].sort(
      (a, b) =>
        compareText(a.object.client, b.object.client) ||
        compareText(a.object.kind, b.object.kind) ||
        compareText(a.object.name, b.object.name),
    );
  }
}
