import { ERR_AUTH_TOKEN_INVALID, OidcError } from "../errors.js";
import { HotStrings, tailHash } from "../services/HotStrings.js";

/** RFC 6750 §2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** RFC 7235 §2.1: the scheme ends at the first space; `credentials = auth-scheme [ 1*SP token68 ]`. */
const SCHEME_END = /\s/;
const SEPARATOR = /^ +/;

/**
 * Credentials that passed the b64token check lately. A token comes back on
 * request after request, and recognising it by comparing it whole costs
 * less than running the check over its ~1 KB again; anything not found is
 * checked as usual.
 */
const checked = new HotStrings<true>(256, 8192);

const malformed = (reason: string): OidcError => new OidcError(ERR_AUTH_TOKEN_INVALID, { reason });

/**
 * The token of an `Authorization: Bearer <token>` header value.
 *
 * Returns `undefined` when no bearer credential was presented: no header,
 * another scheme (RFC 6750 §3.1: no error code then), or `Bearer` with
 * nothing after it. Throws `ERR_AUTH_TOKEN_INVALID` when a bearer credential
 * was presented but is malformed: two tokens, a separator other than
 * spaces (tab, CR, LF), or characters outside the b64token alphabet.
 * The scheme is case-insensitive (RFC 7235 §2.1). An array (as some
 * frameworks give repeated headers) must hold a single value.
 */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  return schemeToken(header, "bearer");
}

/**
 * The token of an `Authorization: <scheme> <token>` header value, for the
 * `Bearer` scheme (RFC 6750 §2.1) or the `DPoP` scheme (RFC 9449 §7.1,
 * the same token68 syntax), with the rules of {@link bearerToken}.
 */
export function schemeToken(header: string | string[] | undefined, wanted: "bearer" | "dpop"): string | undefined {
  if (Array.isArray(header)) {
    if (header.length > 1) throw malformed("more than one Authorization header");
    header = header[0];
  }
  if (typeof header !== "string") return undefined;
  // The usual form, the scheme, one space and the token, read without regular expressions.
  const length = wanted.length;
  if (header.length > length + 1 && header.charCodeAt(length) === 32 && header.charCodeAt(length + 1) !== 32) {
    return header.slice(0, length).toLowerCase() === wanted ? checkedCredential(header.slice(length + 1)) : undefined;
  }
  if (schemeOf(header) !== wanted) return undefined;
  const schemeEnd = header.search(SCHEME_END);
  const rest = schemeEnd === -1 ? "" : header.slice(schemeEnd);
  if (/^ *$/.test(rest)) return undefined;
  const separator = SEPARATOR.exec(rest);
  if (!separator) throw malformed(`the ${wanted} scheme must be followed by spaces, not other whitespace`);
  return checkedCredential(rest.slice(separator[0].length));
}

function checkedCredential(credential: string): string {
  const hash = tailHash(credential);
  if (checked.get(credential, hash) === true) return credential;
  if (!B64TOKEN.test(credential)) throw malformed("credential is not a single RFC 6750 b64token");
  checked.set(credential, hash, true);
  return credential;
}

/** The lower-cased auth-scheme an `Authorization` value starts with. */
export function schemeOf(header: string): string {
  const schemeEnd = header.search(SCHEME_END);
  return (schemeEnd === -1 ? header : header.slice(0, schemeEnd)).toLowerCase();
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
  return /^bearer(?:\s|$)/i.test(value) ? bearerToken(value) : bearerToken(`Bearer ${value}`);
}
