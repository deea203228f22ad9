import { ERR_AUTH_TOKEN_INVALID, OidcError } from "../errors.js";

/** RFC 6750 §2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** The auth-scheme is case-insensitive (RFC 7235 §2.1); exactly one space-separated credential follows. */
const BEARER = /^Bearer(?: +(.*))?$/i;

/**
 * The token of an `Authorization: Bearer <token>` header value.
 * Returns `undefined` when no bearer credential was presented (no header,
 * another scheme, `Bearer` alone); throws `ERR_AUTH_TOKEN_INVALID` when one
 * was presented but is malformed (two tokens, control characters, …).
 */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (Array.isArray(header)) {
    if (header.length > 1) throw new OidcError(ERR_AUTH_TOKEN_INVALID, { reason: "more than one Authorization header" });
    header = header[0];
  }
  if (typeof header !== "string") return undefined;
  const match = BEARER.exec(header);
  if (!match) return undefined;
  const credential = match[1];
  if (credential === undefined || credential === "") return undefined;
  if (!B64TOKEN.test(credential)) throw new OidcError(ERR_AUTH_TOKEN_INVALID, { reason: "credential is not a single RFC 6750 b64token" });
  return credential;
}

/**
 * A token handed over in a message rather than a header (the handshake's
 * `auth.token`, the `auth:refresh` payload): a string, with or without a
 * leading "Bearer ". `undefined`/`null` means none was presented; anything
 * else that is not a single b64token throws `ERR_AUTH_TOKEN_INVALID`.
 */
export function presentedToken(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new OidcError(ERR_AUTH_TOKEN_INVALID, { reason: `${where} is not a string` });
  return /^bearer /i.test(value) ? bearerToken(value) : bearerToken(`Bearer ${value}`);
}
