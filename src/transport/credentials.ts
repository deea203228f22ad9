import type { IncomingMessage } from "node:http";
import { ERR_AUTH_TOKEN_INVALID, OidcError } from "../errors.js";
import { bearerToken, presentedToken } from "./bearer.js";

/**
 * The parts of a request the extraction reads: the parsed headers and,
 * when the transport has them, Node's raw header list (Fastify's
 * `request.raw.rawHeaders`, Socket.IO's `socket.request.rawHeaders`).
 */
export interface RawRequest {
  headers: IncomingMessage["headers"];
  rawHeaders?: IncomingMessage["rawHeaders"];
}

/**
 * The request's `Authorization` header value. Node keeps only the first of
 * duplicated `Authorization` headers in `headers`, so the raw header list
 * is counted: a request carrying two is refused rather than judged on
 * whichever one Node kept.
 */
export function authorizationHeader(request: RawRequest): string | undefined {
  const raw = request.rawHeaders ?? [];
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    // Most names are of another length: only those of 13 characters are lowercased and compared.
    if (name?.length === 13 && name.toLowerCase() === "authorization") seen += 1;
  }
  if (seen > 1) throw new OidcError(ERR_AUTH_TOKEN_INVALID, { reason: "more than one Authorization header" });
  return request.headers.authorization;
}

/**
 * The token of an HTTP request: the `Authorization: Bearer` header only.
 * A token in the query string (`?access_token=`, RFC 6750 §2.3) or a form
 * body is never read: URLs end up in logs and caches.
 */
export function httpRequestToken(request: RawRequest): string | undefined {
  return bearerToken(authorizationHeader(request));
}

/**
 * The token of a Socket.IO handshake: `auth.token` (with or without a
 * leading "Bearer "), else the upgrade request's `Authorization` header.
 * `auth.token` of another type than string is refused; the handshake query
 * string is never read.
 */
export function handshakeToken(auth: unknown, request: RawRequest): string | undefined {
  const fromAuth = auth !== null && typeof auth === "object" ? (auth as Record<string, unknown>).token : undefined;
  if (fromAuth === undefined || fromAuth === null) return httpRequestToken(request);
  return presentedToken(fromAuth, "auth.token");
}
