import type { FastifyReply } from "fastify";
import type { OidcError } from "../errors.js";

/** A browser's script only reads these response headers of a cross-origin request when they are exposed (RFC 9449 §7.1). */
const EXPOSED = "WWW-Authenticate, DPoP-Nonce";

/**
 * Sends an `OidcError` as `{ statusCode, error, code, message }` (0.1.x's body, exactly) with its
 * RFC 6750 / RFC 9449 challenge, and `DPoP-Nonce` when it asks for a nonce; an expired token is told
 * apart by the message, which is also the challenge's `error_description`.
 */
export function sendHttpError(reply: FastifyReply, error: OidcError): FastifyReply {
  const challenge = error.challenge;
  if (challenge !== undefined) {
    reply.header("WWW-Authenticate", challenge);
    reply.header("Access-Control-Expose-Headers", EXPOSED);
  }
  if (error.dpopNonce !== undefined) reply.header("DPoP-Nonce", error.dpopNonce);
  if (error.retryAfter !== undefined) reply.header("Retry-After", String(error.retryAfter));
  reply.header("Cache-Control", "no-store");
  return reply.code(error.statusCode).send({ statusCode: error.statusCode, error: error.error, code: error.code, message: error.message });
}

/** The Socket.IO form: `message` is the code, `data` is `{ code, statusCode, message }`. */
export function toSocketError(error: OidcError): Error & { data: ReturnType<OidcError["toJSON"]> } {
  return Object.assign(new Error(error.code), { data: error.toJSON() });
}

/** Hands an accepted DPoP client the next nonce (RFC 9449 §8.2), when there is one. */
export function sendDpopNonce(reply: FastifyReply, nonce: string | undefined): void {
  if (nonce === undefined) return;
  reply.header("DPoP-Nonce", nonce);
  reply.header("Access-Control-Expose-Headers", EXPOSED);
}

