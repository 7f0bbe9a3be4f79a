/** One line of a pull's progress for people; `transient` when the next line of the same kind replaces it. */
export interface PullLine {
  line: string;
  transient: boolean;
}

interface PullEvent {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
}

/** What Docker says of one layer while it pulls it; the last two mean the layer is there. */
const LAYER_DONE = new Set(["Pull complete", "Already exists"]);

/**
 * The events of a pull (the engine's JSON progress stream) as lines: a layer's changes of state
 * (`3f4e2a1b: Pull complete`), the pull's own messages (`Digest: …`), and — transient — the
 * bytes of the layer being downloaded or extracted, with how many layers are there so far.
 */
export class PullProgress {
  private readonly layers = new Map<string, string>();

  add(raw: unknown): PullLine | undefined {
    if (typeof raw !== "object" || raw === null) return undefined;
    const event = raw as PullEvent;
    // A failure is the engine's to report (docker-engine.ts), as an error of the step.
    if (typeof event.status !== "string" || "error" in event) return undefined;
    const { status, id } = event;
    if (id === undefined || status.startsWith("Pulling from")) {
      return { line: id === undefined ? status : `${id}: ${status}`, transient: false };
    }
    const known = this.layers.get(id);
    this.layers.set(id, status);
    const total = event.progressDetail?.total;
    if (total !== undefined && total > 0) {
      const current = event.progressDetail?.current ?? 0;
      return {
        line: `${status} ${id} ${bytes(current)}/${bytes(total)} (${this.done()}/${this.layers.size} layers)`,
        transient: true,
      };
    }
    // A repeated state (Downloading without a count) says nothing new.
    if (known === status) return undefined;
    return { line: `${id}: ${status}`, transient: false };
  }

  private done(): number {
    let n = 0;
    for (const status of this.layers.values()) if (LAYER_DONE.has(status)) n++;
    return n;
  }
}

/** `12.3MB`, as Docker writes sizes (powers of 1000). */
function bytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)}${units[unit]}`;
}
