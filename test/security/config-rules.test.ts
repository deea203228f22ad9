/**
 * The verification settings an operator can get wrong: each refused with
 * ERR_AUTH_MISCONFIGURED naming the variable, and a misconfigured server
 * refuses every request with 500 rather than accepting anything.
 */
import { afterAll, describe, expect, test } from "@jest/globals";
import { ERR_AUTH_MISCONFIGURED, OidcError, readOidcConfigFromEnv, resolveOidcConfig } from "../../src/index.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { calls } from "../fixtures/app.js";
import { httpGet, socketProbe, startProtectedApp } from "./harness.js";

const BASE = { AUTH_SERVICE_URL: "https://auth.example.com", AUTH_SERVICE_APP_SLUG: "my-app" };

/** The `ERR_AUTH_MISCONFIGURED` message reading `env` produces, or undefined when it is valid. */
function refusal(env: Record<string, string>): string | undefined {
  try {
    readOidcConfigFromEnv({ ...BASE, ...env });
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(OidcError);
    expect((error as OidcError).code).toBe(ERR_AUTH_MISCONFIGURED);
    return (error as OidcError).message;
  }
}

describe("JWKS and issuer URLs must be https: except on loopback", () => {
  test.each([
    [{ AUTH_SERVICE_URL: "http://auth.example.com" }, "AUTH_SERVICE_URL must use https:"],
    [{ AUTH_SERVICE_JWKS_URI: "http://keys.example.com/jwks" }, "AUTH_SERVICE_JWKS_URI must use https:"],
    [{ AUTH_SERVICE_ISSUER: "http://auth.example.com" }, "AUTH_SERVICE_ISSUER must use https:"],
    [{ AUTH_SERVICE_JWKS_URI: "http://10.0.0.5/jwks" }, "AUTH_SERVICE_JWKS_URI must use https:"],
  ])("%j is refused", (env, message) => {
    expect(refusal(env)).toContain(message);
    expect(refusal(env)).toContain("unless AUTH_SERVICE_ALLOW_INSECURE_HTTP=true");
  });

  test.each([
    [{ AUTH_SERVICE_JWKS_URI: "ftp://auth.example.com/jwks" }, "AUTH_SERVICE_JWKS_URI must be an http(s) URL"],
    [{ AUTH_SERVICE_JWKS_URI: "/api/auth/jwks" }, "AUTH_SERVICE_JWKS_URI must be an absolute URL"],
  ])("%j is refused", (env, message) => {
    expect(refusal(env)).toContain(message);
  });

  test.each(["http://localhost:3000", "http://127.0.0.1:3000", "http://127.0.0.2", "http://[::1]:8080"])("loopback %s may use http:", (url) => {
    expect(refusal({ AUTH_SERVICE_URL: url })).toBeUndefined();
  });

  test("AUTH_SERVICE_ALLOW_INSECURE_HTTP=true allows http: anywhere", () => {
    const config = readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_URL: "http://auth.internal", AUTH_SERVICE_ALLOW_INSECURE_HTTP: "true" });
    expect([config.jwksUri, config.issuer]).toEqual(["http://auth.internal/api/auth/jwks", "http://auth.internal"]);
    expect(refusal({ AUTH_SERVICE_URL: "http://auth.internal", AUTH_SERVICE_ALLOW_INSECURE_HTTP: "false" })).toContain("AUTH_SERVICE_URL must use https:");
  });

  test("a non-URL issuer is compared as an exact string and needs no scheme", () => {
    expect(readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_ISSUER: "urn:example:issuer" }).issuer).toBe("urn:example:issuer");
  });
});

describe("algorithms: asymmetric only, none and HS* never", () => {
  test.each(["none", "NONE", "HS256", "HS384", "HS512", "RS256,HS256", "RS256, none", "RSA-OAEP", "ES256K"])("AUTH_SERVICE_ALGORITHMS=%s is refused", (value) => {
    expect(refusal({ AUTH_SERVICE_ALGORITHMS: value })).toMatch(/^Invalid OIDC configuration: AUTH_SERVICE_ALGORITHMS contains ".+": only asymmetric algorithms .* "none" and HS\* never are$/);
  });

  test("programmatic configs are held to the same rule and name the field", () => {
    expect(() => resolveOidcConfig({ authServiceUrl: BASE.AUTH_SERVICE_URL, appSlug: "a", algorithms: ["HS256" as never] })).toThrow(/algorithms contains "HS256"/);
  });

  test("the default allowlist is every asymmetric JWS algorithm", () => {
    expect(readOidcConfigFromEnv(BASE).algorithms).toEqual(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]);
    expect(readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_ALGORITHMS: "ES256, EdDSA" }).algorithms).toEqual(["ES256", "EdDSA"]);
  });
});

describe("numeric bounds and defaults", () => {
  test("defaults", () => {
    expect(readOidcConfigFromEnv(BASE)).toMatchObject({
      clockToleranceSeconds: 5,
      maxTokenAgeSeconds: undefined,
      tokenTypes: [],
      authorizedParties: [],
      maxTokenBytes: 8192,
      jwksTimeoutSeconds: 5,
      jwksCooldownSeconds: 30,
      jwksMaxAgeSeconds: 600,
      jwksStaleSeconds: 3600,
      allowInsecureHttp: false,
    });
  });

  test.each([
    [{ AUTH_SERVICE_CLOCK_TOLERANCE: "61" }, "AUTH_SERVICE_CLOCK_TOLERANCE must be at most 60"],
    [{ AUTH_SERVICE_CLOCK_TOLERANCE: "-1" }, "AUTH_SERVICE_CLOCK_TOLERANCE must be a number of seconds"],
    [{ AUTH_SERVICE_MAX_TOKEN_BYTES: "10" }, "AUTH_SERVICE_MAX_TOKEN_BYTES must be at least 64"],
    [{ AUTH_SERVICE_JWKS_TIMEOUT: "soon" }, "AUTH_SERVICE_JWKS_TIMEOUT must be a number of seconds"],
    [{ AUTH_SERVICE_JWKS_TIMEOUT: "0" }, "AUTH_SERVICE_JWKS_TIMEOUT must be at least 0.01"],
    [{ AUTH_SERVICE_JWKS_MAX_AGE: "0" }, "AUTH_SERVICE_JWKS_MAX_AGE must be at least 1"],
    [{ AUTH_SERVICE_JWKS_MAX_AGE: "0.5" }, "AUTH_SERVICE_JWKS_MAX_AGE must be at least 1"],
    [{ AUTH_SERVICE_ALLOW_INSECURE_HTTP: "yes" }, 'AUTH_SERVICE_ALLOW_INSECURE_HTTP must be "true" or "false"'],
  ])("%j is refused", (env, message) => {
    expect(refusal(env)).toContain(message);
  });

  test("the clock tolerance may be raised up to 60 s", () => {
    expect(readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_CLOCK_TOLERANCE: "60" }).clockToleranceSeconds).toBe(60);
  });
});

describe("a misconfigured server refuses everything with 500 ERR_AUTH_MISCONFIGURED", () => {
  let issuer: TestIssuer;
  afterAll(async () => issuer?.close());

  test("AUTH_SERVICE_ALGORITHMS=HS256: no request reaches a handler and the JWKS is never fetched", async () => {
    issuer = await TestIssuer.start({ alg: "ES256" });
    const app = await startProtectedApp(issuer, { env: { AUTH_SERVICE_ALGORITHMS: "HS256" }, manager: false });
    try {
      calls.length = 0;
      const token = await issuer.mint();
      const res = await httpGet(`${app.url}/profile`, { authorization: `Bearer ${token}` });
      expect([res.status, res.body?.code]).toEqual([500, ERR_AUTH_MISCONFIGURED]);
      // The client learns that the server is misconfigured, not how.
      expect(res.body?.message).toBe("Authentication is misconfigured on the server");
      const probe = await socketProbe(app.url, "/chat", { auth: { token } });
      expect([probe.connected, probe.error?.message, probe.error?.data?.message]).toEqual([false, ERR_AUTH_MISCONFIGURED, "Authentication is misconfigured on the server"]);
      expect(calls).toEqual([]);
      expect(issuer.jwksRequests).toBe(0);
      await expect(app.ready()).rejects.toThrow("AUTH_SERVICE_ALGORITHMS contains \"HS256\"");
      expect(app.log.refusals().map((r) => [r.code, r.reason])).toEqual([
        [ERR_AUTH_MISCONFIGURED, expect.stringContaining("AUTH_SERVICE_ALGORITHMS")],
        [ERR_AUTH_MISCONFIGURED, expect.stringContaining("AUTH_SERVICE_ALGORITHMS")],
      ]);
    } finally {
      await app.stop();
    }
  });
});
