import type { IncomingMessage } from "node:http";
import { dpopRefusal, ERR_AUTH_TOKEN_INVALID, OidcError } from "../errors.js";
import type { PresentedCredential } from "../services/AuthPipeline.js";
import type { DpopTarget } from "../services/verification/DpopProofVerifier.js";
import { bearerToken, presentedToken, schemeOf, schemeToken } from "./bearer.js";

/**
 * The parts of a request the extraction reads: the parsed headers and,
 * when the transport has them, Node's raw header list (Fastify's
 * `request.raw.rawHeaders`, Socket.IO's `socket.request.rawHeaders`).
 */
export interface RawRequest {
  headers: IncomingMessage["headers"];
  rawHeaders?: IncomingMessage["rawHeaders"];
}

/** Every value of a header in the raw list (Node keeps only the first `Authorization` in `headers`). */
function rawValues(request: RawRequest, name: string): string[] {
  const raw = request.rawHeaders ?? [];
  const values: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const candidate = raw[i];
    // Most names are of another length: only those of the same length are lowercased and compared.
    if (candidate?.length === name.length && candidate.toLowerCase() === name) values.push(raw[i + 1] ?? "");
  }
  return values;
}

/**
 * RFC 6750 §3.1 `invalid_request`, HTTP 400: one request, two ways of
 * presenting a token (here, the Bearer and the DPoP schemes). The code
 * stays `ERR_AUTH_TOKEN_INVALID`.
 */
function bothSchemes(): OidcError {
  return new OidcError(ERR_AUTH_TOKEN_INVALID, {
    message: "The request uses both the Bearer and the DPoP scheme: send one",
    reason: "Bearer and DPoP credentials in one request",
    authError: "invalid_request",
  });
}

/**
 * The request's `Authorization` header value. Node keeps only the first of
 * duplicated `Authorization` headers in `headers`, so the raw header list
 * is counted: a request carrying two is refused rather than judged on
 * whichever one Node kept (with 400 when one is Bearer and one DPoP).
 */
export function authorizationHeader(request: RawRequest): string | undefined {
  const all = rawValues(request, "authorization");
  const header = request.headers.authorization;
  // Repeated headers may also arrive folded into one, comma-separated (a token68 never holds a comma).
  if (all.length > 1 || (typeof header === "string" && header.includes(","))) {
    const credentials = (all.length > 0 ? all : typeof header === "string" ? [header] : []).flatMap((value) => value.split(","));
    const schemes = new Set(credentials.map((value) => schemeOf(value.trim())));
    if (schemes.has("bearer") && schemes.has("dpop")) throw bothSchemes();
    if (all.length > 1) throw new OidcError(ERR_AUTH_TOKEN_INVALID, { reason: "more than one Authorization header" });
  }
  return header;
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
 * The credential of an HTTP request: `Authorization: Bearer <token>`, or
 * `Authorization: DPoP <token>` with the proof of the request's single
 * `DPoP` header (RFC 9449 §4.1, §7.1) and the request it must be for
 * (`target`, only read for DPoP). `undefined` when none was presented.
 */
export function httpCredential(request: RawRequest, target: () => DpopTarget): PresentedCredential | undefined {
  const header = authorizationHeader(request);
  if (typeof header === "string" && schemeOf(header) === "dpop") {
    const token = schemeToken(header, "dpop");
    return { scheme: "DPoP", token, proof: dpopHeader(request), target: target() };
  }
  const token = bearerToken(header);
  return token === undefined ? undefined : { scheme: "Bearer", token };
}

/** The single `DPoP` header's value; two are refused (RFC 9449 §4.3: "not more than one"). */
function dpopHeader(request: RawRequest): string | undefined {
  const raw = request.rawHeaders === undefined ? undefined : rawValues(request, "dpop");
  if (raw !== undefined && raw.length > 1) throw dpopRefusal("invalid_dpop_proof", "The request carries more than one DPoP header", "DPoP proof: more than one DPoP header");
  const value = request.headers.dpop;
  return Array.isArray(value) ? (value.length === 1 ? value[0] : "") : value;
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

/**
 * The credential of a Socket.IO handshake (see docs/dpop.md, "Socket.IO"):
 * `auth.token` with `auth.dpop` is a DPoP credential, `auth.token` alone a
 * bearer one; without `auth.token`, the upgrade request's headers as for
 * HTTP. `target` is the handshake's (method GET, the namespace URL).
 */
export function handshakeCredential(auth: unknown, request: RawRequest, target: () => DpopTarget): PresentedCredential | undefined {
  const record = auth !== null && typeof auth === "object" ? (auth as Record<string, unknown>) : {};
  if (record.token === undefined || record.token === null) return httpCredential(request, target);
  return messageCredential(record.token, record.dpop, { token: "auth.token", dpop: "auth.dpop" }, target);
}

/**
 * A credential handed over in a message (the handshake's `auth`, an
 * `auth:refresh` payload): `token`, with a DPoP proof in `dpop` or not.
 * With a proof the token may start with "DPoP "; "Bearer " and a proof
 * together are two schemes (400).
 */
export function messageCredential(token: unknown, dpop: unknown, names: { token: string; dpop: string }, target: () => DpopTarget): PresentedCredential | undefined {
  if (dpop === undefined || dpop === null) {
    if (typeof token === "string" && schemeOf(token) === "dpop") return { scheme: "DPoP", token: schemeToken(token, "dpop"), proof: undefined, target: target() };
    const bearer = presentedToken(token, names.token);
    return bearer === undefined ? undefined : { scheme: "Bearer", token: bearer };
  }
  if (typeof dpop !== "string") throw dpopRefusal("invalid_dpop_proof", `${names.dpop} must be a string`, `DPoP proof: ${names.dpop} is not a string`);
  if (typeof token !== "string") throw new OidcError(ERR_AUTH_TOKEN_INVALID, { reason: `${names.token} is not a string`, scheme: "DPoP" });
  if (schemeOf(token) === "bearer") throw bothSchemes();
  const bare = schemeOf(token) === "dpop" ? schemeToken(token, "dpop") : schemeToken(`DPoP ${token}`, "dpop");
  return { scheme: "DPoP", token: bare, proof: dpop, target: target() };
}
