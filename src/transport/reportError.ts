import type { FastifyReply } from "fastify";
import type { OidcError } from "../errors.js";

/** Sends an `OidcError` as `{ statusCode, error, code, message }` (plus `reason: "expired"` for an expired token) with its RFC 6750 challenge. */
export function sendHttpError(reply: FastifyReply, error: OidcError): FastifyReply {
  const challenge = error.challenge;
  if (challenge !== undefined) reply.header("WWW-Authenticate", challenge);
  if (error.retryAfter !== undefined) reply.header("Retry-After", String(error.retryAfter));
  reply.header("Cache-Control", "no-store");
  const { statusCode, ...rest } = error.toJSON();
  return reply.code(statusCode).send({ statusCode, error: error.error, ...rest });
}

/** The Socket.IO form: `message` is the code, `data` is `{ code, statusCode, message }`. */
export function toSocketError(error: OidcError): Error & { data: ReturnType<OidcError["toJSON"]> } {
  return Object.assign(new Error(error.code), { data: error.toJSON() });
}
