import type { Counts, Phase, Row } from "./display-model.js";

/** Styles a frame may use; `paint` turns them into colour codes, or leaves the text as it is. */
export type Style = "green" | "yellow" | "red" | "cyan" | "dim" | "bold";
export type Paint = (style: Style, text: string) => string;

export interface FrameInput {
  map: string;
  counts: Counts;
  rows: readonly Row[];
  /** Time of the whole run so far (or in all, once it ended). */
  elapsedMs?: number;
  /** The run ended: no spinner, and the rows worth reading after it (failures first) are kept. */
  final: boolean;
  /** Drives the spinner: the same time gives the same frame. */
  now: number;
}

export interface TerminalSize {
  columns: number;
  rows: number;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const SPINNER_STEP_MS = 100;

const MARK: Record<Exclude<Phase, "running">, { text: string; style: Style }> = {
  // Waiting is neither done nor busy: a dim dot, never a green mark.
  waiting: { text: "⠂", style: "dim" },
  done: { text: "✔", style: "green" },
  failed: { text: "✘", style: "red" },
  skipped: { text: "-", style: "yellow" },
};

const STATUS_STYLE: Record<Phase, Style | undefined> = {
  waiting: "dim",
  running: "cyan",
  done: "green",
  failed: "red",
  skipped: "yellow",
};

/**
 * Which rows stay when the terminal is too short for all: in this order of interest, the rest is
 * summarised. While the run goes on, what moves; at its end, what went wrong.
 */
const INTEREST: Record<"live" | "final", Phase[]> = {
  live: ["running", "failed", "waiting", "skipped", "done"],
  final: ["failed", "skipped", "running", "waiting", "done"],
};

/**
 * The lines of one frame of the live display: a header with counts (`[+] 7/14`), then a row per
 * object — at most as many lines as the terminal has rows less one (the line the cursor rests on,
 * so that nothing scrolls), none wider than its columns less one (a line that fills the last
 * column makes some terminals wrap). What does not fit is summarised as `… and 37 more`.
 */
export function renderFrame(input: FrameInput, size: TerminalSize, paint: Paint): string[] {
  const width = Math.max(1, size.columns - 1);
  const height = Math.max(1, size.rows - 1);
  const lines = [headerLine(input, width, paint)];
  if (input.rows.length === 0 || height === 1) return lines;
  const shown = chooseRows(
    input.rows,
    input.rows.length + 1 <= height ? input.rows.length : height - 2,
    input.final,
  );
  const labelWidth = labelColumn(
    shown.map((r) => input.rows[r] as Row),
    width,
  );
  for (const index of shown) lines.push(rowLine(input.rows[index] as Row, labelWidth, width, input, paint));
  const hidden = input.rows.length - shown.length;
  if (hidden > 0)
    lines.push(
      fit([{ text: `… and ${hidden} more${hiddenSummary(input.rows, shown)}`, style: "dim" }], width, paint),
    );
  return lines;
}

function headerLine(input: FrameInput, width: number, paint: Paint): string {
  const { finished, total, failed } = input.counts;
  const left: Segment[] = [
    { text: `[+] ${finished}/${total}`, style: "bold" },
    { text: ` ${input.final ? "done" : "running"}, map ${input.map}` },
  ];
  if (failed > 0) left.push({ text: `, ${failed} failed`, style: "red" });
  return withTimer(left, input.elapsedMs, width, paint);
}

function rowLine(row: Row, labelWidth: number, width: number, input: FrameInput, paint: Paint): string {
  const mark =
    row.phase === "running"
      ? { text: input.final ? "⠿" : spinnerAt(input.now), style: "cyan" as const }
      : MARK[row.phase];
  const label = clip(clean(row.label), labelWidth);
  const left: Segment[] = [
    { text: " " },
    mark,
    { text: ` ${label}${" ".repeat(labelWidth - cells(label))}  ` },
    withStyle(clean(row.status), STATUS_STYLE[row.phase]),
  ];
  if (row.detail !== undefined && clean(row.detail) !== "")
    left.push({ text: `  ${clean(row.detail)}`, style: row.phase === "failed" ? "red" : "dim" });
  return withTimer(left, row.elapsedMs, width, paint);
}

export function spinnerAt(now: number): string {
  return SPINNER[Math.floor(now / SPINNER_STEP_MS) % SPINNER.length] as string;
}

/** Indexes of the rows to show (in their order), `room` of them, by INTEREST. */
function chooseRows(rows: readonly Row[], room: number, final: boolean): number[] {
  if (room >= rows.length) return rows.map((_, i) => i);
  const chosen = new Set<number>();
  for (const phase of INTEREST[final ? "final" : "live"]) {
    for (let i = 0; i < rows.length && chosen.size < room; i++)
      if ((rows[i] as Row).phase === phase) chosen.add(i);
  }
  return [...chosen].sort((a, b) => a - b);
}

/** `(30 done, 7 waiting)`: what the hidden rows are doing. */
function hiddenSummary(rows: readonly Row[], shown: number[]): string {
  const visible = new Set(shown);
  const byPhase = new Map<Phase, number>();
  rows.forEach((row, i) => {
    if (!visible.has(i)) byPhase.set(row.phase, (byPhase.get(row.phase) ?? 0) + 1);
  });
  const parts = (["running", "waiting", "done", "failed", "skipped"] as const)
    .filter((p) => byPhase.has(p))
    .map((p) => `${byPhase.get(p)} ${p}`);
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`;
}

/** The label column: as wide as the longest label shown, but at most 40% of the line. */
function labelColumn(rows: readonly Row[], width: number): number {
  const longest = Math.max(0, ...rows.map((r) => cells(clean(r.label))));
  return Math.max(1, Math.min(longest, Math.floor(width * 0.4)));
}

interface Segment {
  text: string;
  style?: Style;
}

function withStyle(text: string, style: Style | undefined): Segment {
  return style === undefined ? { text } : { text, style };
}

/** The segments, clipped so that the timer (when there is room for it) ends at the line's last column. */
function withTimer(left: Segment[], elapsedMs: number | undefined, width: number, paint: Paint): string {
  if (elapsedMs === undefined) return fit(left, width, paint);
  const timer = duration(elapsedMs);
  const room = width - timer.length - 1;
  // Too narrow for both: the words matter more than the time.
  if (room < 8) return fit(left, width, paint);
  const used = left.reduce((sum, s) => sum + cells(s.text), 0);
  const text = fit(left, room, paint);
  return `${text}${" ".repeat(Math.max(0, room - Math.min(used, room)) + 1)}${paint("dim", timer)}`;
}

/** Paints the segments, clipped to `width` terminal cells (the cut marked with `…`). */
function fit(segments: readonly Segment[], width: number, paint: Paint): string {
  const total = segments.reduce((sum, s) => sum + cells(s.text), 0);
  let left = total <= width ? width : width - 1;
  let out = "";
  for (const segment of segments) {
    if (left <= 0) break;
    const text = clipCells(segment.text, left);
    left -= cells(text);
    if (text !== "") out += segment.style === undefined ? text : paint(segment.style, text);
  }
  return total <= width ? out : `${out}…`;
}

/** A text clipped to `width` cells, ending with `…` when it was cut. */
export function clip(text: string, width: number): string {
  if (cells(text) <= width) return text;
  return `${clipCells(text, width - 1)}…`;
}

function clipCells(text: string, width: number): string {
  let used = 0;
  let out = "";
  for (const char of text) {
    const w = charCells(char);
    if (used + w > width) break;
    used += w;
    out += char;
  }
  return out;
}

/** `4.2s`, `2m05s`, `1h02m`. */
export function duration(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const whole = Math.floor(s);
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, "0")}m`;
}

/**
 * Text from outside (an engine's message, a build's output) made safe for one line: escape
 * sequences and control characters out, tabs and line breaks as spaces.
 */
export function clean(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[@-Z\\-_]/g, "")
      .replace(/[\t\r\n]+/g, " ")
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, "")
      .trimEnd()
  );
}

/** Terminal cells of a text (see charCells). */
export function cells(text: string): number {
  let n = 0;
  for (const char of text) n += charCells(char);
  return n;
}

/**
 * Cells one character takes: none for combining marks and zero-width characters, two for the
 * wide (East Asian, emoji) ranges, one otherwise — close enough for names and build output; the
 * frame keeps a column spare anyway.
 */
function charCells(char: string): number {
  const code = char.codePointAt(0) as number;
  if (/\p{M}|[\u200b-\u200f\u2060\ufeff]/u.test(char)) return 0;
  if (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  )
    return 2;
  return 1;
}
