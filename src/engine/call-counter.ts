import { compareText } from "../common/text.js";
/**
 * Counts engine calls per operation. Observation must stay constant in engine calls whatever the
 * map's size; tests and benchmarks assert that through these counts.
 */
export class CallCounter {
  private readonly counts = new Map<string, number>();

  record(operation: string): void {
    this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
  }

  get total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }

  get(operation: string): number {
    return this.counts.get(operation) ?? 0;
  }

  /** A copy of the counts, sorted by operation name. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => compareText(a, b)));
  }

  reset(): void {
    this.counts.clear();
  }
}
