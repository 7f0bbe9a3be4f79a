import { createRequire } from "node:module";
import type * as Pino from "pino";
import type { Logger } from "pino";
import type PinoPretty from "pino-pretty";

export type LogFormat = "pretty" | "json";

export interface LoggerOptions {
  level?: string;
  format?: LogFormat;
  color?: boolean;
  /** Where log lines go; stderr by default (stdout carries data only). */
  destination?: NodeJS.WritableStream;
}

// Loaded when a logger is made: most runs log nothing at the default level (warn) and never do.
const require = createRequire(import.meta.url);

/** berth's logger: pino on stderr, pretty (one line each) or JSON lines. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const { pino } = require("pino") as typeof Pino;
  const level = options.level ?? "warn";
  const destination = options.destination ?? process.stderr;
  if (options.format === "json") return pino({ level, base: { name: "berth" } }, destination);
  const pretty = require("pino-pretty") as typeof PinoPretty;
  return pino(
    { level, base: undefined },
    pretty({
      destination,
      colorize: options.color ?? false,
      sync: true,
      ignore: "pid,hostname",
      singleLine: true,
    }),
  );
}

/** Whether a logger at `level` writes messages of level `message` (pino's names and order). */
export function logsAt(level: string, message: "trace" | "debug" | "info" | "warn" | "error"): boolean {
  const order = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];
  const threshold = order.indexOf(level);
  return threshold >= 0 && threshold <= order.indexOf(message);
}
