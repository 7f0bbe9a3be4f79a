import { compareText } from "../common/text.js";
import { BerthError } from "../common/berth-error.js";

/** Where something is in a map file; line and column count from 1. */
export interface SourcePosition {
  file: string;
  line: number;
  col: number;
}

/** One problem found in a map. */
export interface MapProblem {
  at: SourcePosition;
  message: string;
  /** What to do, or what was probably meant. */
  hint?: string;
}

export function formatPosition(at: SourcePosition): string {
  return `${at.file}:${at.line}:${at.col}`;
}

/** `FILE:LINE:COL: message (hint)` — the one way map problems are printed. */
export function formatProblem(problem: MapProblem): string {
  const hint = problem.hint === undefined ? "" : ` (${problem.hint})`;
  return `${formatPosition(problem.at)}: ${problem.message}${hint}`;
}

export function compareProblems(a: MapProblem, b: MapProblem): number {
  return (
    compareText(a.at.file, b.at.file) ||
    a.at.line - b.at.line ||
    a.at.col - b.at.col ||
    compareText(a.message, b.message)
  );
}

/** Everything wrong with a map, sorted by position; raised instead of loading a bad map. */
export class MapError extends BerthError {
  readonly code = "map";
  readonly problems: readonly MapProblem[];

  constructor(problems: MapProblem[]) {
    const sorted = dedupe([...problems].sort(compareProblems));
    super(sorted.map(formatProblem).join("\n"));
    this.problems = sorted;
  }
}

export const isMapError = (e: unknown): e is MapError => e instanceof MapError;

function dedupe(problems: MapProblem[]): MapProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = formatProblem(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Collects problems while a stage runs, so a map reports all its problems at once. */
export class ProblemList {
  readonly items: MapProblem[] = [];

  add(at: SourcePosition, message: string, hint?: string): void {
    this.items.push(hint === undefined ? { at, message } : { at, message, hint });
  }

  get isEmpty(): boolean {
    return this.items.length === 0;
  }

  /** Throws a MapError when anything was collected. */
  throwIfAny(): void {
    if (!this.isEmpty) throw new MapError(this.items);
  }
}
