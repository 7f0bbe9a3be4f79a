import { pino, type Logger } from "pino";
import pretty from "pino-pretty";

export type LogFormat = "pretty" | "json";

export interface LoggerOptions {
  level?: string;
  format?: LogFormat;
  color?: boolean;
  /** Where log lines go; stderr by default (stdout carries data only). */
  destination?: NodeJS.WritableStream;
}

/** berth's logger: pino on stderr, pretty (one line each) or JSON lines. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? "warn";
  const destination = options.destination ?? process.stderr;
  if (options.format === "json") return pino({ level, base: { name: "berth" } }, destination);
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

/** A logger that drops everything (library use without a logger). */
export const silentLogger: Logger = pino({ level: "silent" });
