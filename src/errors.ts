/**
 * Every refusal the package makes is an {@link OidcError} with one of these
 * stable codes; callers switch on `code`, never on the message.
 */
export const ERR_AUTH_TOKEN_REQUIRED = "ERR_AUTH_TOKEN_REQUIRED";
export const ERR_AUTH_TOKEN_INVALID = "ERR_AUTH_TOKEN_INVALID";
export const ERR_USER_DISABLED = "ERR_USER_DISABLED";
export const ERR_USER_PROVISION_FAILED = "ERR_USER_PROVISION_FAILED";
export const ERR_FORBIDDEN = "ERR_FORBIDDEN";
export const ERR_AUTH_MISCONFIGURED = "ERR_AUTH_MISCONFIGURED";
export const ERR_AUTH_UNAVAILABLE = "ERR_AUTH_UNAVAILABLE";

export type OidcErrorCode =
  | typeof ERR_AUTH_TOKEN_REQUIRED
  | typeof ERR_AUTH_TOKEN_INVALID
  | typeof ERR_USER_DISABLED
  | typeof ERR_USER_PROVISION_FAILED
  | typeof ERR_FORBIDDEN
  | typeof ERR_AUTH_MISCONFIGURED
  | typeof ERR_AUTH_UNAVAILABLE;

/** HTTP status (and Socket.IO `data.statusCode`) for each code. */
export const OIDC_ERROR_STATUS: Readonly<Record<OidcErrorCode, number>> = Object.freeze({
  ERR_AUTH_TOKEN_REQUIRED: 401,
  ERR_AUTH_TOKEN_INVALID: 401,
  ERR_USER_DISABLED: 403,
  ERR_USER_PROVISION_FAILED: 500,
  ERR_FORBIDDEN: 403,
  ERR_AUTH_MISCONFIGURED: 500,
  ERR_AUTH_UNAVAILABLE: 503,
});

/** Client-safe default messages: they never contain token or key material. */
const DEFAULT_MESSAGES: Readonly<Record<OidcErrorCode, string>> = {
  ERR_AUTH_TOKEN_REQUIRED: "Authentication required: send an access token as 'Authorization: Bearer <token>'",
  ERR_AUTH_TOKEN_INVALID: "The access token is invalid or expired",
  ERR_USER_DISABLED: "This user account is disabled",
  ERR_USER_PROVISION_FAILED: "The user account could not be loaded",
  ERR_FORBIDDEN: "You are not allowed to access this resource",
  ERR_AUTH_MISCONFIGURED: "Authentication is misconfigured on the server",
  ERR_AUTH_UNAVAILABLE: "Authentication is temporarily unavailable, retry later",
};

/**
 * What RFC 6750 §3 allows inside `error_description` (%x20-21 / %x23-5B /
 * %x5D-7E): everything else goes, so a quote cannot end the value and a
 * non-Latin-1 role name cannot make Node refuse to write the header.
 */
const NOT_DESCRIPTION_CHAR = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;

/** RFC 6750 §3.1 error values carried in the `WWW-Authenticate` challenge. */
const BEARER_ERROR: Partial<Record<OidcErrorCode, string>> = {
  ERR_AUTH_TOKEN_INVALID: "invalid_token",
  ERR_FORBIDDEN: "insufficient_scope",
};

/**
 * The RFC 6750 / RFC 9449 error names a refusal can carry instead of the
 * one its code implies: `invalid_request` (a malformed request, HTTP 400),
 * `invalid_dpop_proof` and `use_dpop_nonce` (RFC 9449 §7.1, 401).
 */
export type AuthErrorName = "invalid_request" | "invalid_token" | "invalid_dpop_proof" | "use_dpop_nonce";

/** The authentication schemes of RFC 6750 and RFC 9449. */
export type AuthScheme = "Bearer" | "DPoP";

/** The schemes a refusal's challenge offers (RFC 9449 §7.1: a server accepting both lists both). */
export interface OfferedSchemes {
  readonly bearer: boolean;
  /** The `algs` of the DPoP challenge; absent when DPoP is not offered. */
  readonly dpopAlgs?: readonly string[];
}

const BEARER_ONLY: OfferedSchemes = Object.freeze({ bearer: true });

/**
 * Which verification rule refused a token and why (see
 * `src/services/verification/rules.ts`): for the server log, except that an
 * `"expired"` kind is told to the client too (`reason: "expired"` in `toJSON()`).
 */
export interface RefusalDetail {
  readonly rule: string;
  /** `"token"`: malformed or forged; `"expired"`: get a new one; `"settings"`: genuine, refused by the server's settings. */
  readonly kind: "token" | "expired" | "settings";
  /** The `AUTH_SERVICE_*` variable the token did not meet. */
  readonly setting?: string;
  readonly expected?: unknown;
  readonly received?: unknown;
}

/** The one refusal reason clients are told, so they can tell "refresh" from "sign in again". */
export const EXPIRED_REASON = "expired";
const EXPIRED_MESSAGE = "The access token has expired";

export interface OidcErrorOptions {
  /** Client-facing message; defaults to a fixed text per code. */
  message?: string;
  /**
   * Why the package refused, for the server log only (e.g. jose's reason).
   * Never sent to the client.
   */
  reason?: string;
  /** Seconds after which a retry makes sense (sent as `Retry-After`). */
  retryAfter?: number;
  /** The verification rule behind an `ERR_AUTH_TOKEN_INVALID`. */
  detail?: RefusalDetail;
  /** For `ERR_FORBIDDEN` by a scope guard: the required scopes, space-delimited, sent as the challenge's `scope` (RFC 6750 §3). */
  scope?: string;
  cause?: unknown;
  /** The scheme the client used: the challenge of that scheme carries the error (default Bearer). */
  scheme?: AuthScheme;
  /** The error name for the challenge, when not the one the code implies; `invalid_request` makes the status 400. */
  authError?: AuthErrorName;
  /** A fresh DPoP nonce for the client (sent as `DPoP-Nonce`). */
  dpopNonce?: string;
  /** The schemes the challenge offers (default: Bearer only). */
  offered?: OfferedSchemes;
}

/**
 * The one error type of the package.
 *
 * @example
 * ```ts
 * try { await verifyOidcToken(jwt, config); }
 * catch (e) { if (e instanceof OidcError && e.code === ERR_AUTH_TOKEN_INVALID) ... }
 * ```
 */
export class OidcError extends Error {
  readonly code: OidcErrorCode;
  readonly statusCode: number;
  /** Server-side detail for logs; never returned to the client. */
  readonly reason: string | undefined;
  readonly retryAfter: number | undefined;
  /** Server-side: the verification rule that refused the token, with the expected and received values. */
  readonly detail: RefusalDetail | undefined;
  /** The required scopes named in the challenge, if a scope guard refused. */
  readonly scope: string | undefined;
  /** The scheme the client used, when known. */
  readonly scheme: AuthScheme | undefined;
  readonly authError: AuthErrorName | undefined;
  readonly dpopNonce: string | undefined;
  /** The schemes the challenge offers; see {@link offer}. */
  private offeredSchemes: OfferedSchemes;

  constructor(code: OidcErrorCode, options: OidcErrorOptions = {}) {
    const expired = options.detail?.kind === "expired";
    super(options.message ?? (expired ? EXPIRED_MESSAGE : DEFAULT_MESSAGES[code]), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "OidcError";
    this.code = code;
    // RFC 6750 §3.1: invalid_request (e.g. a request using two schemes) is a 400; the code stays ERR_AUTH_TOKEN_INVALID.
    this.statusCode = options.authError === "invalid_request" ? 400 : OIDC_ERROR_STATUS[code];
    this.reason = options.reason;
    this.retryAfter = options.retryAfter;
    this.detail = options.detail;
    // Only scope-token characters (RFC 6749 §3.3) may go into the quoted attribute; scopeRequirement() already insists on them.
    this.scope = options.scope !== undefined && /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/.test(options.scope) ? options.scope : undefined;
    this.scheme = options.scheme;
    this.authError = options.authError;
    this.dpopNonce = options.dpopNonce;
    this.offeredSchemes = options.offered ?? BEARER_ONLY;
  }

  /** The schemes the challenge offers (default: Bearer only). */
  get offered(): OfferedSchemes {
    return this.offeredSchemes;
  }

  /**
   * Makes the challenge offer `offered` (what the pipeline's DPoP mode
   * accepts), unless the error was built with its own offer. Changes this
   * error, so a collaborator's refusal keeps its identity; returns it.
   */
  offer(offered: OfferedSchemes): this {
    if (this.offeredSchemes === BEARER_ONLY) this.offeredSchemes = offered;
    return this;
  }

  /** `"expired"` when the token expired (or passed its max age): the one reason clients see, in the socket error's `data` and refusal acks (`toJSON`). */
  get publicReason(): typeof EXPIRED_REASON | undefined {
    return this.detail?.kind === "expired" ? EXPIRED_REASON : undefined;
  }

  /** The HTTP reason phrase for {@link statusCode}, as Fastify bodies carry it. */
  get error(): string {
    return STATUS_TEXT[this.statusCode] ?? "Error";
  }

  /**
   * The RFC 6750 §3 `WWW-Authenticate` value for 401/403 refusals, or
   * undefined where no challenge belongs (5xx, disabled user). `error=` is
   * only set when a token was actually presented.
   */
  get challenge(): string | undefined {
    const name = this.code === ERR_AUTH_TOKEN_REQUIRED ? undefined : (this.authError ?? BEARER_ERROR[this.code]);
    if (name === undefined && this.code !== ERR_AUTH_TOKEN_REQUIRED) return undefined;
    const scope = this.scope !== undefined && this.code === ERR_FORBIDDEN ? `, scope="${this.scope}"` : "";
    const error = name === undefined ? "" : `error="${name}", error_description="${this.message.replace(NOT_DESCRIPTION_CHAR, "")}"${scope}`;
    const { bearer, dpopAlgs } = this.offered;
    // The error goes on the scheme the client used (RFC 9449 §7.2); the other scheme is only offered.
    const errorOn = this.scheme ?? (bearer ? "Bearer" : "DPoP");
    const challenges: string[] = [];
    if (bearer || errorOn === "Bearer") challenges.push(["Bearer realm=\"api\"", errorOn === "Bearer" ? error : ""].filter(Boolean).join(", "));
    if (dpopAlgs !== undefined || errorOn === "DPoP") {
      const algs = dpopAlgs === undefined ? "" : `algs="${dpopAlgs.join(" ")}"`;
      challenges.push(`DPoP ${[errorOn === "DPoP" ? error : "", algs].filter(Boolean).join(", ")}`.trimEnd());
    }
    return challenges.join(", ");
  }

  /**
   * The `{ code, statusCode, message }` shape sent to clients, plus
   * `reason: "expired"` for an expired token; a DPoP refusal adds its
   * `challenge` (the `WWW-Authenticate` value an HTTP client would get) and
   * `dpopNonce` when it has one.
   */
  toJSON(): { code: OidcErrorCode; statusCode: number; message: string; reason?: typeof EXPIRED_REASON; challenge?: string; dpopNonce?: string } {
    const json: { code: OidcErrorCode; statusCode: number; message: string; reason?: typeof EXPIRED_REASON; challenge?: string; dpopNonce?: string } = {
      code: this.code,
      statusCode: this.statusCode,
      message: this.message,
    };
    const reason = this.publicReason;
    if (reason !== undefined) json.reason = reason;
    if (this.scheme === "DPoP" || this.authError !== undefined) {
      const challenge = this.challenge;
      if (challenge !== undefined) json.challenge = challenge;
    }
    if (this.dpopNonce !== undefined) json.dpopNonce = this.dpopNonce;
    return json;
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/**
 * A refusal with an RFC 9449 error name: the proof (`invalid_dpop_proof`),
 * the nonce (`use_dpop_nonce`, with the nonce to use) or the token under
 * the DPoP scheme (`invalid_token`). Always `ERR_AUTH_TOKEN_INVALID`.
 */
export function dpopRefusal(authError: "invalid_dpop_proof" | "use_dpop_nonce" | "invalid_token", message: string, reason: string, dpopNonce?: string): OidcError {
  return new OidcError(ERR_AUTH_TOKEN_INVALID, { message, reason, scheme: "DPoP", authError, dpopNonce });
}

/** Wraps anything thrown by a collaborator so the transports only see OidcErrors. */
export function toOidcError(error: unknown, fallback: OidcErrorCode): OidcError {
  if (error instanceof OidcError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new OidcError(fallback, { reason, cause: error });
}
