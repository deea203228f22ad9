/**
 * What the package says to, and hears from, a live Socket.IO client:
 * event names, their payloads and the rooms a user's sockets join. One
 * place, so the server side and the docs (docs/live-sockets.md) cannot drift apart.
 */

/** Client → server: re-authenticate an open socket with a new token. */
export const AUTH_REFRESH_EVENT = "auth:refresh";
/** Server → client: the token expired; the socket is disconnected right after. */
export const AUTH_EXPIRED_EVENT = "auth:expired";
/** Server → client: the user's sessions were revoked; the socket is disconnected right after. */
export const AUTH_REVOKED_EVENT = "auth:revoked";

/**
 * `auth:refresh` payload: the new token, as a string or `{ token }`, with or
 * without "Bearer "; for a DPoP-bound token, `{ token, dpop }` with a fresh
 * proof of `GET` on the namespace URL (docs/dpop.md).
 */
export type AuthRefreshRequest = string | { token: string; dpop?: string };

/**
 * What an acknowledgement receives when the package refuses: a failed
 * `auth:refresh`, or an event a per-event check forbids (`ERR_FORBIDDEN`).
 */
export interface RefusalAck {
  ok: false;
  code: string;
  statusCode: number;
  message: string;
  /** `"expired"` when the refused token had expired (get a new one), absent otherwise. */
  reason?: "expired";
  /** A DPoP refusal's `WWW-Authenticate` value (RFC 9449 error name inside). */
  challenge?: string;
  /** With DPoP nonces on: the nonce the next proof must carry. */
  dpopNonce?: string;
}

/** What the `auth:refresh` acknowledgement receives. */
export type AuthRefreshAck = { ok: true; exp: number | undefined } | RefusalAck;

/** `auth:expired` payload: the token's `exp` and the server time the socket was cut, both in seconds since the epoch. */
export interface AuthExpiredNotice {
  exp: number;
  at: number;
}

/** `auth:revoked` payload: a client-safe explanation. */
export interface AuthRevokedNotice {
  message: string;
}

const ROOM_PREFIX = "ioserver-oidc";

/** The room every live socket of the subject `sub` is in (on every node, through the Socket.IO adapter). */
export function subjectRoom(sub: string): string {
  return `${ROOM_PREFIX}:sub:${sub}`;
}

/** The room every live socket of the local user `userId` is in. */
export function userRoom(userId: string): string {
  return `${ROOM_PREFIX}:user:${userId}`;
}

/** The room every live socket whose current token carries session id `sid` is in. */
export function sessionRoom(sid: string): string {
  return `${ROOM_PREFIX}:sid:${sid}`;
}

/** The room of the live sockets whose current token has the id `jti` (what a `{ jti }` revocation looks in). */
export function tokenRoom(jti: string): string {
  return `${ROOM_PREFIX}:jti:${jti}`;
}
