/**
 * Levelled console logging, with Flitter's command-line levels:
 * `--quiet` (warnings and errors), default and `--verbose` (info),
 * `--debug` and `--trace`.
 *
 * @module
 */

/** Severity of a log record, from the noisiest to the most serious. */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

const LEVEL_ORDER: Record<LogLevel, number> = {
  trace: 0,
  debug: 1,
  info: 2,
  warn: 3,
  error: 4,
};

let threshold: LogLevel = "info";
let verboseStatistics = false;

/** Sets the lowest level that is printed (process-wide). */
export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

/** The lowest level that is printed. */
export function getLogLevel(): LogLevel {
  return threshold;
}

/** Turns on `--verbose` statistics (fps and frame times). */
export function setVerbose(on: boolean): void {
  verboseStatistics = on;
}

/** Whether `--verbose` (or a noisier level) asked for statistics. */
export function isVerbose(): boolean {
  return verboseStatistics || LEVEL_ORDER[threshold] <= LEVEL_ORDER.debug;
}

/** Whether records at `level` are printed now. */
export function isLogging(level: LogLevel): boolean {
  return LEVEL_ORDER[level] >= LEVEL_ORDER[threshold];
}

/** A named logger; the name appears in every record it prints. */
export class Logger {
  /** Creates a logger called `name` (e.g. `"webrtc"`). */
  constructor(readonly name: string) {}

  /** Prints a record at `level` when that level is enabled. */
  log(level: LogLevel, message: string, ...details: unknown[]): void {
    if (!isLogging(level)) return;
    const time = new Date().toISOString().slice(11, 23);
    const line = `${time} ${
      level.toUpperCase().padEnd(5)
    } ${this.name}: ${message}`;
    if (LEVEL_ORDER[level] >= LEVEL_ORDER.warn) console.error(line, ...details);
    else console.log(line, ...details);
  }

  /** Noisy detail (per message, per frame). */
  trace(message: string, ...details: unknown[]): void {
    this.log("trace", message, ...details);
  }

  /** Diagnostic detail. */
  debug(message: string, ...details: unknown[]): void {
    this.log("debug", message, ...details);
  }

  /** Normal events (connections, reloads). */
  info(message: string, ...details: unknown[]): void {
    this.log("info", message, ...details);
  }

  /** Something went wrong but work goes on. */
  warn(message: string, ...details: unknown[]): void {
    this.log("warn", message, ...details);
  }

  /** A failure. */
  error(message: string, ...details: unknown[]): void {
    this.log("error", message, ...details);
  }
}

/** Returns a logger named `name`. */
export function getLogger(name: string): Logger {
  return new Logger(name);
}
