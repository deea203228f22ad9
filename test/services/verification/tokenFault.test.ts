import { expect, test } from "@jest/globals";
import { errors } from "jose";
import { ERR_AUTH_TOKEN_INVALID, ERR_AUTH_UNAVAILABLE, OidcError } from "../../../src/errors.js";
import { claimFault, joseErrorOf, tokenFault } from "../../../src/services/verification/tokenFault.js";

test("a token fault is a 401 ERR_AUTH_TOKEN_INVALID for the middlewares whose cause is the jose error, logged with its code", () => {
  const cause = new errors.JWSSignatureVerificationFailed();
  const fault = tokenFault(cause);
  expect(fault).toMatchObject({ code: ERR_AUTH_TOKEN_INVALID, statusCode: 401, reason: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED: signature verification failed" });
  expect(fault.cause).toBe(cause);
  expect(fault.message).toBe(new OidcError(ERR_AUTH_TOKEN_INVALID).message);
});

test("a claim fault carries jose's JWTClaimValidationFailed with the claim and why", () => {
  const fault = claimFault('"sub" must be a non-empty string', { sub: "" }, "sub", "invalid");
  expect(fault.reason).toBe('"sub" must be a non-empty string');
  expect(fault.cause).toBeInstanceOf(errors.JWTClaimValidationFailed);
  expect(fault.cause).toMatchObject({ claim: "sub", reason: "invalid", payload: { sub: "" } });
});

test("joseErrorOf unwraps token faults only; other refusals and foreign errors pass through", () => {
  const cause = new errors.JWTExpired("expired", {}, "exp", "check_failed");
  expect(joseErrorOf(tokenFault(cause))).toBe(cause);
  const outage = new OidcError(ERR_AUTH_UNAVAILABLE, { cause: new Error("ECONNREFUSED") });
  expect(joseErrorOf(outage)).toBe(outage);
  const bare = new OidcError(ERR_AUTH_TOKEN_INVALID, { reason: "no jose cause" });
  expect(joseErrorOf(bare)).toBe(bare);
  const other = new Error("x");
  expect(joseErrorOf(other)).toBe(other);
});
