import type { FastifyRequest } from "fastify";
import type { DpopTarget } from "../services/verification/DpopProofVerifier.js";

/**
 * The request a DPoP proof must be for, as Fastify sees it: its method,
 * `request.protocol` and `request.host` (which follow `X-Forwarded-Proto`
 * and `X-Forwarded-Host` only under Fastify's `trustProxy`, which IOServer
 * 2.0.6 never sets: a client's forwarding headers never count;
 * `AUTH_SERVICE_PUBLIC_ORIGIN` names the public origin behind a proxy) and
 * the path of `request.url`.
 */
export function httpTarget(request: FastifyRequest): DpopTarget {
  return { method: request.method, protocol: request.protocol, host: request.host || undefined, path: request.url };
}

/** The part of a Socket.IO server socket its handshake URL is read from. */
export interface HandshakeSource {
  readonly handshake: { readonly secure: boolean; readonly headers: { readonly host?: string | undefined } };
  readonly nsp: { readonly name: string };
}

/**
 * The Socket.IO profile of docs/dpop.md: a handshake (and every
 * `auth:refresh` on it) is a `GET` of the namespace URL the client passed
 * to `io()`, without query: `http(s)://<Host of the handshake request><namespace>`
 * (https when the connection is TLS), e.g. `https://api.example.com/chat`.
 * Forwarding headers are never read here: behind a proxy, set
 * `AUTH_SERVICE_PUBLIC_ORIGIN`. The engine's path (`/socket.io/`) is not part of it.
 */
export function handshakeTarget(socket: HandshakeSource): DpopTarget {
  const { handshake, nsp } = socket;
  return { method: "GET", protocol: handshake.secure ? "https" : "http", host: handshake.headers.host || undefined, path: nsp.name };
}
