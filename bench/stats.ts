/** Summaries of repeated measurements: the machine is shared and noisy, so min and median. */
export interface Stat {
  runs: number[];
  min: number;
  median: number;
}

export function stat(values: readonly number[]): Stat {
  if (values.length === 0) throw new Error("no measurements");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { runs: [...values], min: sorted[0] as number, median };
}

/** a / b for min and median alike. */
export interface Ratio {
  min: number;
  median: number;
}

export function ratio(a: Stat, b: Stat): Ratio {
  return { min: a.min / b.min, median: a.median / b.median };
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const begin = performance.now();
  const value = await fn();
  return { ms: performance.now() - begin, value };
}

export function fmtMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}

export function fmtStat(s: Stat, unit: (v: number) => string = fmtMs): string {
  return `${unit(s.min)} / ${unit(s.median)}`;
}

export function fmtRatio(r: Ratio): string {
  return `${fmtX(r.min)} / ${fmtX(r.median)}`;
}

export function fmtX(x: number): string {
  return x >= 10 ? `${x.toFixed(1)}×` : `${x.toFixed(2)}×`;
}

export function fmtMb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Stat with numbers rounded, for the JSON summary. */
export function statJson(s: Stat, digits = 1): { min: number; median: number; runs: number[] } {
  return {
    min: round(s.min, digits),
    median: round(s.median, digits),
    runs: s.runs.map((v) => round(v, digits)),
  };
}

export function ratioJson(r: Ratio): { min: number; median: number } {
  return { min: round(r.min, 3), median: round(r.median, 3) };
}
