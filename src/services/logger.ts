import pino, { type DestinationStream, type Logger } from "pino";
import { RefusalSampler } from "./RefusalSampler.js";

/**
 * Paths pino censors wherever they appear in a log record. The package never
 * logs a token itself; this is the net for anything a caller passes along.
 */
export const REDACTED_PATHS = [
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "req.headers.authorization",
  "handshake.auth",
  "*.handshake.auth",
];

/**
 * The package's logger: structured, named "ioserver-oidc", level from
 * `AUTH_SERVICE_LOG_LEVEL` (default "info"; `silent` mutes it). A value
 * that is no pino level falls back to "info" with a warning naming the
 * variable: pino would otherwise throw inside IOServer's `start()`.
 */
export function createOidcLogger(destination?: DestinationStream, level = process.env.AUTH_SERVICE_LOG_LEVEL): Logger {
  const wanted = level?.trim().toLowerCase() || "info";
  const valid = wanted === "silent" || Object.hasOwn(pino.levels.values, wanted);
  const options = { name: "ioserver-oidc", level: valid ? wanted : "info", redact: { paths: REDACTED_PATHS, censor: "[redacted]" } };
  const logger = destination ? pino(options, destination) : pino(options);
  if (!valid) logger.warn({ variable: "AUTH_SERVICE_LOG_LEVEL", value: level }, `AUTH_SERVICE_LOG_LEVEL "${level}" is not a pino level (${Object.keys(pino.levels.values).join(", ")}, silent): logging at info`);
  return logger;
}

/** How often a repeated refusal caused by the server's settings is logged again (as a count). */
export const REFUSAL_LOG_INTERVAL_MS = 60_000;

/** Records refusals caused by the server's settings, of one kind (rule) each. */
export interface SettingRefusalLog {
  record(kind: string, details: Record<string, unknown>): void;
}

const refusalLogs = new WeakMap<Logger, SettingRefusalLog>();

/**
 * The sampled log of refusals caused by the server's settings, one per
 * logger (so one per container): the first of each rule is logged at warn
 * with the expected and received values, then, while they keep coming, a
 * count per interval, also at warn (the server stays misconfigured until
 * someone acts, so the reminder belongs where the first warning went). A
 * timer, armed only while a window is open and unref'd so it never keeps
 * the process alive, logs the count of a flood that stopped.
 */
export function settingRefusalLog(logger: Logger, now: () => number): SettingRefusalLog {
  const known = refusalLogs.get(logger);
  if (known !== undefined) return known;
  const sampler = new RefusalSampler<Record<string, unknown>>(REFUSAL_LOG_INTERVAL_MS, (record) => {
    if (record.kind === "first") logger.warn(record.details, "authentication refused");
    else logger.warn({ ...record.details, count: record.count, intervalSeconds: record.intervalMs / 1000 }, "authentication refusals repeated");
  });
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    if (timer !== undefined || !sampler.pending) return;
    timer = setTimeout(() => {
      timer = undefined;
      sampler.flush(now());
      arm();
    }, REFUSAL_LOG_INTERVAL_MS);
    timer.unref();
  };
  const log: SettingRefusalLog = {
    record(kind, details) {
      sampler.record(kind, details, now());
      arm();
    },
  };
  refusalLogs.set(logger, log);
  return log;
}
