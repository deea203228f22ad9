import { errors } from "jose";
import { ERR_AUTH_TOKEN_INVALID, OidcError } from "../../errors.js";

/**
 * A fault of the token itself: the middlewares answer it as
 * `401 ERR_AUTH_TOKEN_INVALID`; its `cause` is the jose error `jwtVerify`
 * throws for the same fault, which `verifyOidcToken` throws (its 0.1.x
 * contract). The verifier picks the jose class where it finds the fault,
 * so the two answers cannot drift apart.
 *
 * @example
 * ```ts
 * throw tokenFault(new errors.JWSSignatureVerificationFailed());
 * ```
 */
export function tokenFault(cause: errors.JOSEError, reason = `${cause.code}: ${cause.message}`): OidcError {
  return new OidcError(ERR_AUTH_TOKEN_INVALID, { reason, cause });
}

/** A token fault of the claims set, as jose reports one: `JWTClaimValidationFailed` naming the claim. */
export function claimFault(message: string, payload: object, claim: string, why: "missing" | "invalid" | "check_failed" = "check_failed"): OidcError {
  return tokenFault(new errors.JWTClaimValidationFailed(message, payload as Record<string, unknown>, claim, why), message);
}

/**
 * What `verifyOidcToken` throws for an error of the verifier: the jose
 * error of a token fault, anything else (`ERR_AUTH_UNAVAILABLE`,
 * `ERR_AUTH_MISCONFIGURED`) unchanged.
 */
export function joseErrorOf(error: unknown): unknown {
  if (error instanceof OidcError && error.code === ERR_AUTH_TOKEN_INVALID && error.cause instanceof errors.JOSEError) return error.cause;
  return error;
}
