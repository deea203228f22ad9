import { errors as joseErrors, type JWTPayload } from "jose";
import { tokenFault } from "./tokenFault.js";

/**
 * The largest NumericDate accepted, in seconds: the last instant a
 * JavaScript `Date` can hold (year 275760). Anything beyond is either a
 * JSON number that overflowed to ±Infinity (`1e400`) or an integer past
 * 2^53 that no longer reads as the value written; with it in range, `exp`
 * and `iat` in milliseconds stay exact integers for the cache and the
 * socket expiry timer.
 */
export const MAX_NUMERIC_DATE_SECONDS = 8.64e12;

/** The registered claims holding a NumericDate, and the only numbers the verifier, the cache and the socket timer read from a token. */
const NUMERIC_DATE_CLAIMS = ["exp", "nbf", "iat"] as const;

/**
 * RFC 7519 §2: a NumericDate is a JSON number of seconds. JSON can spell
 * numbers that JavaScript cannot keep (`1e400` parses as Infinity, which
 * jose's `typeof … === "number"` lets through as a token that never
 * expires), so each of `exp`, `nbf`, `iat` that is present must be finite
 * and within ±`MAX_NUMERIC_DATE_SECONDS`. Exponent forms (`1.7e9`),
 * fractions and `-0` are ordinary finite numbers and pass here (jose's time
 * checks then apply as for any other value).
 */
export function checkNumericDates(payload: JWTPayload): void {
  for (const claim of NUMERIC_DATE_CLAIMS) {
    const value: unknown = payload[claim];
    if (value === undefined) continue;
    if (typeof value === "number" && Number.isFinite(value) && Math.abs(value) <= MAX_NUMERIC_DATE_SECONDS) continue;
    const message = `"${claim}" claim must be a NumericDate: a finite number of seconds within ±${MAX_NUMERIC_DATE_SECONDS} (got ${typeof value === "number" ? String(value) : typeof value})`;
    throw tokenFault(new joseErrors.JWTClaimValidationFailed(message, payload, claim, "invalid"));
  }
}
