import pino, { type DestinationStream, type Logger } from "pino";

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
