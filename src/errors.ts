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
  /** For `ERR_FORBIDDEN` by a scope guard: the required scopes, space-delimited, sent as the challenge's `scope` (RFC 6750 §3). */
  scope?: string;
  cause?: unknown;
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
  /** The required scopes named in the challenge, if a scope guard refused. */
  readonly scope: string | undefined;

  constructor(code: OidcErrorCode, options: OidcErrorOptions = {}) {
    super(options.message ?? DEFAULT_MESSAGES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "OidcError";
    this.code = code;
    this.statusCode = OIDC_ERROR_STATUS[code];
    this.reason = options.reason;
    this.retryAfter = options.retryAfter;
    // Only scope-token characters (RFC 6749 §3.3) may go into the quoted attribute; scopeRequirement() already insists on them.
    this.scope = options.scope !== undefined && /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/.test(options.scope) ? options.scope : undefined;
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
    if (this.code === ERR_AUTH_TOKEN_REQUIRED) return 'Bearer realm="api"';
    const bearerError = BEARER_ERROR[this.code];
    if (!bearerError) return undefined;
    const scope = this.scope !== undefined && this.code === ERR_FORBIDDEN ? `, scope="${this.scope}"` : "";
    return `Bearer realm="api", error="${bearerError}", error_description="${this.message.replace(NOT_DESCRIPTION_CHAR, "")}"${scope}`;
  }

  /** The `{ code, statusCode, message }` shape sent to clients. */
  toJSON(): { code: OidcErrorCode; statusCode: number; message: string } {
    return { code: this.code, statusCode: this.statusCode, message: this.message };
  }
}

const STATUS_TEXT: Record<number, string> = {
  401: "Unauthorized",
  403: "Forbidden",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** Wraps anything thrown by a collaborator so the transports only see OidcErrors. */
export function toOidcError(error: unknown, fallback: OidcErrorCode): OidcError {
  if (error instanceof OidcError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new OidcError(fallback, { reason, cause: error });
}
