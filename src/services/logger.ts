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
 * `AUTH_SERVICE_LOG_LEVEL` (default "info").
 */
export function createOidcLogger(destination?: DestinationStream, level = process.env.AUTH_SERVICE_LOG_LEVEL ?? "info"): Logger {
  const options = { name: "ioserver-oidc", level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } };
  return destination ? pino(options, destination) : pino(options);
}
