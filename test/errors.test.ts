import { describe, expect, test } from "@jest/globals";
import {
  ERR_AUTH_MISCONFIGURED,
  ERR_AUTH_TOKEN_INVALID,
  ERR_AUTH_TOKEN_REQUIRED,
  ERR_AUTH_UNAVAILABLE,
  ERR_FORBIDDEN,
  ERR_USER_DISABLED,
  ERR_USER_PROVISION_FAILED,
  OIDC_ERROR_STATUS,
  OidcError,
  toOidcError,
  type OidcErrorCode,
} from "../src/errors.js";

/** The documented contract: exported constant, its wire value, HTTP status, reason phrase. */
const EXPECTED: [OidcErrorCode, string, number, string][] = [
  [ERR_AUTH_TOKEN_REQUIRED, "ERR_AUTH_TOKEN_REQUIRED", 401, "Unauthorized"],
  [ERR_AUTH_TOKEN_INVALID, "ERR_AUTH_TOKEN_INVALID", 401, "Unauthorized"],
  [ERR_USER_DISABLED, "ERR_USER_DISABLED", 403, "Forbidden"],
  [ERR_USER_PROVISION_FAILED, "ERR_USER_PROVISION_FAILED", 500, "Internal Server Error"],
  [ERR_FORBIDDEN, "ERR_FORBIDDEN", 403, "Forbidden"],
  [ERR_AUTH_MISCONFIGURED, "ERR_AUTH_MISCONFIGURED", 500, "Internal Server Error"],
  [ERR_AUTH_UNAVAILABLE, "ERR_AUTH_UNAVAILABLE", 503, "Service Unavailable"],
];

describe("OidcError", () => {
  test.each(EXPECTED)("%s is %s with status %i (%s)", (code, wire, status, phrase) => {
    const error = new OidcError(code);
    expect(code).toBe(wire);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("OidcError");
    expect(error.code).toBe(code);
    expect(error.statusCode).toBe(status);
    expect(OIDC_ERROR_STATUS[code]).toBe(status);
    expect(error.error).toBe(phrase);
    expect(error.message.length).toBeGreaterThan(0);
  });

  test("the status table is frozen: no caller can remap a code", () => {
    expect(Object.isFrozen(OIDC_ERROR_STATUS)).toBe(true);
  });

  test("toJSON is exactly { code, statusCode, message }: the reason stays on the server", () => {
    const error = new OidcError(ERR_AUTH_TOKEN_INVALID, { reason: "ERR_JWT_EXPIRED: secret detail", retryAfter: 3 });
    expect(error.toJSON()).toEqual({ code: ERR_AUTH_TOKEN_INVALID, statusCode: 401, message: "The access token is invalid or expired" });
    expect(JSON.stringify(error)).not.toContain("secret detail");
    expect(error.reason).toBe("ERR_JWT_EXPIRED: secret detail");
    expect(error.retryAfter).toBe(3);
  });

  test("a custom message replaces the default one, and a cause is kept", () => {
    const cause = new Error("db down");
    const error = new OidcError(ERR_USER_PROVISION_FAILED, { message: "No user", cause });
    expect(error.message).toBe("No user");
    expect(error.cause).toBe(cause);
  });

  describe("WWW-Authenticate challenge (RFC 6750 §3)", () => {
    test("no token presented: a bare Bearer challenge without error=", () => {
      const challenge = new OidcError(ERR_AUTH_TOKEN_REQUIRED).challenge;
      expect(challenge).toMatch(/^Bearer /);
      expect(challenge).not.toContain("error=");
    });

    test('an invalid token: error="invalid_token" with a description', () => {
      expect(new OidcError(ERR_AUTH_TOKEN_INVALID).challenge).toBe(
        'Bearer realm="api", error="invalid_token", error_description="The access token is invalid or expired"',
      );
    });

    test('a missing role: error="insufficient_scope"', () => {
      expect(new OidcError(ERR_FORBIDDEN).challenge).toContain('error="insufficient_scope"');
    });

    test('a missing scope: the challenge names the required scopes in scope="…" (RFC 6750 §3)', () => {
      expect(new OidcError(ERR_FORBIDDEN, { message: "Missing scope", scope: "notes:read notes:write" }).challenge).toBe(
        'Bearer realm="api", error="insufficient_scope", error_description="Missing scope", scope="notes:read notes:write"',
      );
    });

    test("a scope attribute that is not scope tokens is left out rather than sent broken", () => {
      expect(new OidcError(ERR_FORBIDDEN, { scope: 'a" b' }).challenge).not.toContain("scope=");
      expect(new OidcError(ERR_AUTH_TOKEN_INVALID, { scope: "a" }).challenge).not.toContain("scope=");
    });

    test("quotes and backslashes of a custom message cannot break out of the quoted description", () => {
      const challenge = new OidcError(ERR_AUTH_TOKEN_INVALID, { message: 'bad "token" \\ here' }).challenge;
      expect(challenge).toContain('error_description="bad token  here"');
    });

    test("error_description keeps only the characters RFC 6750 §3 allows: no control, non-ASCII or non-Latin-1 character", () => {
      const challenge = new OidcError(ERR_FORBIDDEN, { message: 'The role "管理者" is required\r\n\u00e9\u007f\ttab' }).challenge;
      expect(challenge).toBe('Bearer realm="api", error="insufficient_scope", error_description="The role  is requiredtab"');
    });

    test.each<OidcErrorCode>([ERR_USER_DISABLED, ERR_USER_PROVISION_FAILED, ERR_AUTH_MISCONFIGURED, ERR_AUTH_UNAVAILABLE])("%s carries no challenge", (code) => {
      expect(new OidcError(code).challenge).toBeUndefined();
    });
  });
});

describe("toOidcError", () => {
  test("returns an OidcError unchanged", () => {
    const original = new OidcError(ERR_USER_DISABLED);
    expect(toOidcError(original, ERR_AUTH_TOKEN_INVALID)).toBe(original);
  });

  test("wraps an Error with the fallback code, keeping its message as the server-side reason only", () => {
    const cause = new Error("connection reset by db");
    const wrapped = toOidcError(cause, ERR_USER_PROVISION_FAILED);
    expect(wrapped.code).toBe(ERR_USER_PROVISION_FAILED);
    expect(wrapped.reason).toBe("connection reset by db");
    expect(wrapped.cause).toBe(cause);
    expect(wrapped.message).not.toContain("db");
  });

  test("wraps a thrown non-Error value", () => {
    const wrapped = toOidcError("boom", ERR_AUTH_TOKEN_INVALID);
    expect(wrapped.code).toBe(ERR_AUTH_TOKEN_INVALID);
    expect(wrapped.reason).toBe("boom");
  });
});
