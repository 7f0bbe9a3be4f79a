import { InternalError } from "../common/berth-error.js";

/**
 * What a later step of a plan waits for, by what it is about:
 * - `exists`: a container exists under its final name (by container key);
 * - `running`: a container runs under its final name (by container key; none: it already did);
 * - `ready`: a container runs under its final name, its exec commands done (by container key);
 * - `network`, `volume`: a network or volume of the map is there to use (by network or volume key);
 * - `pull`: an image is present (by image reference);
 * - `wait`: a health or completion gate (by `condition:container key`);
 * - `removed`: a container is gone (by container id).
 */
export type StepFact = "exists" | "running" | "ready" | "network" | "volume" | "pull" | "wait" | "removed";

/**
 * The step after which each fact holds, for the steps emitted so far. A fact is written once: a
 * step, once emitted, is never changed, and neither is what it stands for.
 */
export class StepIndex {
  private readonly facts = new Map<StepFact, Map<string, string>>();

  /** The step after which `fact` holds for `subject`; undefined when nothing needs to wait. */
  get(fact: StepFact, subject: string): string | undefined {
    return this.facts.get(fact)?.get(subject);
  }

  has(fact: StepFact, subject: string): boolean {
    return this.get(fact, subject) !== undefined;
  }

  /** Records the step after which `fact` holds for `subject`; a second, different one is a bug. */
  set(fact: StepFact, subject: string, step: string): string {
    let steps = this.facts.get(fact);
    if (steps === undefined) {
      steps = new Map();
      this.facts.set(fact, steps);
    }
    const known = steps.get(subject);
    if (known !== undefined && known !== step)
      throw new InternalError(`plan: ${fact} of ${subject} is already after ${known}, not ${step}`);
    steps.set(subject, step);
    return step;
  }

  /** The step recorded for the fact, or the one `emit` makes (and records) when there is none. */
  getOrSet(fact: StepFact, subject: string, emit: () => string): string {
    return this.get(fact, subject) ?? this.set(fact, subject, emit());
  }
}
