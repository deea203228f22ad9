/**
 * ioserver 2.0.6 (not this package, not the user's code) hands Fastify 5
 * its router options the old way, and Fastify answers each new server
 * with the deprecation warning FSTDEP022 ("The router options for ...
 * property access is deprecated"): once per IOServer, 91 times in a test
 * run. There is nothing for a user to do about it, so the demo and the
 * test setup drop exactly that warning and keep every other one.
 *
 * A `process.on("warning")` listener would not help: Node prints warnings
 * from its own listener whatever else listens. They all go through
 * `process.emitWarning` (Fastify's process-warning calls
 * `emitWarning(message, name, code)`), so that is where it is filtered.
 */
const IOSERVER_ROUTER_WARNING = "FSTDEP022";

type EmitWarning = (warning: string | Error, ...rest: unknown[]) => void;

function codeOf(warning: string | Error, rest: unknown[]): unknown {
  if (warning instanceof Error) return (warning as Error & { code?: unknown }).code;
  const [typeOrOptions, code] = rest;
  return typeof typeOrOptions === "object" && typeOrOptions !== null ? (typeOrOptions as { code?: unknown }).code : code;
}

const original = process.emitWarning.bind(process) as EmitWarning;
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (codeOf(warning, rest) !== IOSERVER_ROUTER_WARNING) original(warning, ...rest);
}) as typeof process.emitWarning;

export {};
