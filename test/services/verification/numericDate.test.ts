import { describe, expect, test } from "@jest/globals";
import { errors as joseErrors } from "jose";
import { ERR_AUTH_TOKEN_INVALID, OidcError } from "../../../src/errors.js";
import { checkNumericDates, MAX_NUMERIC_DATE_SECONDS } from "../../../src/services/verification/numericDate.js";

/** The payload as JSON.parse gives it from the token's own text. */
const parsed = (text: string) => JSON.parse(text) as Record<string, unknown>;

describe("checkNumericDates", () => {
  test.each([
    ['{"exp":1700000000}'],
    ['{"exp":1.7e9,"nbf":17E8,"iat":1.7e+9}'],
    ['{"exp":1700000000.5}'],
    ['{"exp":-0,"nbf":-0,"iat":0}'],
    ['{"nbf":-86400}'],
    [`{"exp":${MAX_NUMERIC_DATE_SECONDS},"nbf":-${MAX_NUMERIC_DATE_SECONDS}}`],
    ['{"sub":"no dates at all","auth_time":1e400}'],
  ])("a finite NumericDate in range passes: %s", (text) => {
    expect(() => checkNumericDates(parsed(text))).not.toThrow();
  });

  test.each([
    ['{"exp":1e400}', "exp", "Infinity"],
    ['{"exp":-1e400}', "exp", "-Infinity"],
    ['{"exp":1700000000,"nbf":-1E400}', "nbf", "-Infinity"],
    ['{"exp":1700000000,"iat":-1e999}', "iat", "-Infinity"],
    ['{"exp":9007199254740993}', "exp", "9007199254740992"],
    ['{"exp":1e300}', "exp", "1e+300"],
    [`{"exp":${MAX_NUMERIC_DATE_SECONDS + 1}}`, "exp", "8640000000001"],
    ['{"exp":1700000000,"iat":"1700000000"}', "iat", "string"],
    ['{"exp":1700000000,"nbf":null}', "nbf", "object"],
  ])("%s is refused, naming the claim", (text, claim, got) => {
    let error: unknown;
    try {
      checkNumericDates(parsed(text));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OidcError);
    expect((error as OidcError).code).toBe(ERR_AUTH_TOKEN_INVALID);
    expect((error as OidcError).reason).toContain(`"${claim}" claim must be a NumericDate`);
    expect((error as OidcError).reason).toContain(`(got ${got})`);
    // jose's own class for a claim fault, with the claim named, as its callers expect.
    expect((error as OidcError).cause).toBeInstanceOf(joseErrors.JWTClaimValidationFailed);
    expect(((error as OidcError).cause as InstanceType<typeof joseErrors.JWTClaimValidationFailed>).claim).toBe(claim);
  });
});
