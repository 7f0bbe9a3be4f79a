/**
 * Reads a push's JSON progress stream, event by event: status lines (one per layer state that
 * changes, not the byte counts), the digest the registry stored (`aux.Digest`), and the error
 * the engine ends with (`error` / `errorDetail`).
 */
export class PushProgress {
  digest: string | undefined;
  error: string | undefined;
  private readonly seen = new Set<string>();

  constructor(private readonly onLine?: (line: string) => void) {}

  add(event: unknown): void {
    if (typeof event !== "object" || event === null) return;
    const e = event as {
      status?: unknown;
      id?: unknown;
      aux?: { Digest?: unknown };
      error?: unknown;
      errorDetail?: { message?: unknown };
    };
    if (typeof e.aux?.Digest === "string") this.digest = e.aux.Digest;
    const message = e.errorDetail?.message ?? e.error;
    if (typeof message === "string") {
      if (this.error === undefined) this.error = message.trim();
      return;
    }
    if (typeof e.status !== "string") return;
    const line = typeof e.id === "string" && e.id !== "" ? `${e.id}: ${e.status}` : e.status;
    // "Pushing" repeats with every chunk sent: said once per layer.
    if (this.seen.has(line)) return;
    this.seen.add(line);
    this.onLine?.(line);
  }
}
