import type { FastifyReply } from "fastify";
import type { OidcError } from "../errors.js";

/**
 * Sends an `OidcError` as `{ statusCode, error, code, message }` (0.1.x's body, exactly) with its RFC 6750
 * challenge; an expired token is told apart by the message, which is also the challenge's `error_description`.
 */
export function sendHttpError(reply: FastifyReply, error: OidcError): FastifyReply {
  const challenge = error.challenge;
  if (challenge !== undefined) reply.header("WWW-Authenticate", challenge);
  if (error.retryAfter !== undefined) reply.header("Retry-After", String(error.retryAfter));
  reply.header("Cache-Control", "no-store");
  return reply.code(error.statusCode).send({ statusCode: error.statusCode, error: error.error, code: error.code, message: error.message });
}

/** The Socket.IO form: `message` is the code, `data` is `{ code, statusCode, message }`. */
export function toSocketError(error: OidcError): Error & { data: ReturnType<OidcError["toJSON"]> } {
  return Object.assign(new Error(error.code), { data: error.toJSON() });
}
