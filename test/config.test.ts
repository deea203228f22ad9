import { describe, expect, test } from "@jest/globals";
import { OIDC_ENV_VARS, readOidcConfigFromEnv, resolveOidcConfig } from "../src/config.js";
import { ERR_AUTH_MISCONFIGURED, OidcError } from "../src/errors.js";

const BASE = { AUTH_SERVICE_URL: "https://auth.example.com", AUTH_SERVICE_APP_SLUG: "my-app" };

/** The OidcError `fn` throws; fails the test when it throws nothing or something else. */
function misconfiguration(fn: () => unknown): OidcError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OidcError);
    expect((error as OidcError).code).toBe(ERR_AUTH_MISCONFIGURED);
    return error as OidcError;
  }
  throw new Error("expected an ERR_AUTH_MISCONFIGURED error, nothing was thrown");
}

describe("readOidcConfigFromEnv: required variables", () => {
  test.each(["AUTH_SERVICE_URL", "AUTH_SERVICE_APP_SLUG"])("a missing %s is named in the error", (name) => {
    const env: Record<string, string> = { ...BASE };
    delete env[name];
    expect(misconfiguration(() => readOidcConfigFromEnv(env)).message).toContain(name);
  });

  test.each(["AUTH_SERVICE_URL", "AUTH_SERVICE_APP_SLUG"])("a blank %s counts as missing", (name) => {
    expect(misconfiguration(() => readOidcConfigFromEnv({ ...BASE, [name]: "   " })).message).toContain(`${name} is required`);
  });

  test("an empty environment names the first required variable", () => {
    expect(misconfiguration(() => readOidcConfigFromEnv({})).message).toContain("AUTH_SERVICE_URL");
  });
});

describe("readOidcConfigFromEnv: defaults", () => {
  test("the JWKS URI, issuer and audience derive from URL and slug; timings take their documented defaults", () => {
    const config = readOidcConfigFromEnv(BASE);
    expect(config).toEqual({
      authServiceUrl: "https://auth.example.com",
      appSlug: "my-app",
      jwksUri: "https://auth.example.com/api/auth/jwks",
      issuer: "https://auth.example.com",
      audience: "my-app",
      algorithms: ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"],
      clockToleranceSeconds: 5,
      maxTokenAgeSeconds: undefined,
      maxTokenLifetimeSeconds: 86_400,
      logoutAudience: "my-app",
      logoutRequireTyp: false,
      tokenTypes: [],
      authorizedParties: [],
      maxTokenBytes: 8192,
      socketExpiry: "disconnect",
      jwksTimeoutSeconds: 5,
      jwksCooldownSeconds: 30,
      jwksMaxAgeSeconds: 600,
      jwksStaleSeconds: 3600,
      allowInsecureHttp: false,
      dpop: "allowed",
      dpopAlgorithms: ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"],
      dpopMaxAgeSeconds: 300,
      dpopMaxFutureSeconds: 30,
      dpopNonceSecret: undefined,
      publicOrigin: undefined,
      tokenCacheSize: 10_000,
      tokenCacheTtlSeconds: 300,
      revocationMaxStalenessSeconds: 60,
      revocationStalePolicy: "refuse",
      discovery: false,
      issuers: [],
      roleSource: "token",
    });
  });

  test("trailing slashes of the URL do not end up in the JWKS URI or the issuer", () => {
    const config = readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_URL: "https://auth.example.com/tenant//" });
    expect(config.jwksUri).toBe("https://auth.example.com/tenant/api/auth/jwks");
    expect(config.issuer).toBe("https://auth.example.com/tenant");
  });

  test("AUTH_SERVICE_JWKS_URI and AUTH_SERVICE_ISSUER replace the defaults", () => {
    const config = readOidcConfigFromEnv({
      ...BASE,
      AUTH_SERVICE_JWKS_URI: "https://keys.example.com/.well-known/jwks.json",
      AUTH_SERVICE_ISSUER: "https://auth.example.com/",
    });
    expect(config.jwksUri).toBe("https://keys.example.com/.well-known/jwks.json");
    // An explicit issuer is compared exactly, trailing slash included.
    expect(config.issuer).toBe("https://auth.example.com/");
  });

  test("AUTH_SERVICE_AUDIENCE overrides the expected aud (the app slug stays the slug)", () => {
    const config = readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_AUDIENCE: "https://api.example.com" });
    expect(config.audience).toBe("https://api.example.com");
    expect(config.appSlug).toBe("my-app");
  });

  test("values are trimmed and blank optional variables count as unset", () => {
    const config = readOidcConfigFromEnv({ AUTH_SERVICE_URL: " https://auth.example.com ", AUTH_SERVICE_APP_SLUG: " my-app ", AUTH_SERVICE_AUDIENCE: " " });
    expect(config.authServiceUrl).toBe("https://auth.example.com");
    expect(config.audience).toBe("my-app");
  });

  test("lists and numbers are parsed", () => {
    const config = readOidcConfigFromEnv({
      ...BASE,
      AUTH_SERVICE_ALGORITHMS: "EdDSA, ES256",
      AUTH_SERVICE_TOKEN_TYPES: "at+jwt",
      AUTH_SERVICE_AUTHORIZED_PARTIES: "web,mobile",
      AUTH_SERVICE_CLOCK_TOLERANCE: "0",
      AUTH_SERVICE_MAX_TOKEN_AGE: "3600",
      AUTH_SERVICE_JWKS_COOLDOWN: "1.5",
      AUTH_SERVICE_ALLOW_INSECURE_HTTP: "TRUE",
    });
    expect(config.algorithms).toEqual(["EdDSA", "ES256"]);
    expect(config.tokenTypes).toEqual(["at+jwt"]);
    expect(config.authorizedParties).toEqual(["web", "mobile"]);
    expect(config.clockToleranceSeconds).toBe(0);
    expect(config.maxTokenAgeSeconds).toBe(3600);
    expect(config.jwksCooldownSeconds).toBe(1.5);
    expect(config.allowInsecureHttp).toBe(true);
  });

  test("the result is frozen: no part of the package can change the settings later", () => {
    expect(Object.isFrozen(readOidcConfigFromEnv(BASE))).toBe(true);
  });
});

describe("readOidcConfigFromEnv: invalid values are named", () => {
  test.each([
    ["AUTH_SERVICE_URL", "not a url"],
    ["AUTH_SERVICE_URL", "ftp://auth.example.com"],
    ["AUTH_SERVICE_JWKS_URI", "/api/auth/jwks"],
    ["AUTH_SERVICE_ALGORITHMS", "HS256"],
    ["AUTH_SERVICE_ALGORITHMS", "none"],
    ["AUTH_SERVICE_ALGORITHMS", ","],
    ["AUTH_SERVICE_CLOCK_TOLERANCE", "abc"],
    ["AUTH_SERVICE_CLOCK_TOLERANCE", "-1"],
    ["AUTH_SERVICE_CLOCK_TOLERANCE", "61"],
    ["AUTH_SERVICE_MAX_TOKEN_AGE", "soon"],
    ["AUTH_SERVICE_MAX_TOKEN_BYTES", "10"],
    ["AUTH_SERVICE_MAX_TOKEN_BYTES", "4096.5"],
    ["AUTH_SERVICE_MAX_TOKEN_BYTES", "1e4"],
    ["AUTH_SERVICE_JWKS_TIMEOUT", "Infinity"],
    ["AUTH_SERVICE_JWKS_COOLDOWN", "-5"],
    ["AUTH_SERVICE_JWKS_MAX_AGE", "1e"],
    ["AUTH_SERVICE_JWKS_STALE", "NaN"],
    ["AUTH_SERVICE_ALLOW_INSECURE_HTTP", "yes please"],
  ])("%s=%j", (name, value) => {
    const error = misconfiguration(() => readOidcConfigFromEnv({ ...BASE, [name]: value }));
    expect(error.message).toContain(name);
    expect(error.reason).toContain(name);
  });
});

describe("the https rule", () => {
  test("a remote http JWKS URI is refused and the variable named", () => {
    const error = misconfiguration(() => readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_JWKS_URI: "http://keys.example.com/jwks" }));
    expect(error.message).toContain("AUTH_SERVICE_JWKS_URI");
    expect(error.message).toContain("https");
  });

  test("a remote http URL is refused naming AUTH_SERVICE_URL, the variable the user actually set", () => {
    const error = misconfiguration(() => readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_URL: "http://auth.example.com" }));
    expect(error.message).toContain("AUTH_SERVICE_URL");
    expect(error.message).toContain("https");
  });

  test("a remote http issuer is refused", () => {
    const error = misconfiguration(() => readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_ISSUER: "http://auth.example.com" }));
    expect(error.message).toContain("AUTH_SERVICE_ISSUER");
  });

  test.each(["http://localhost:3000", "http://127.0.0.1:3000", "http://[::1]:3000"])("loopback %s is allowed over http", (url) => {
    const config = readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_URL: url });
    expect(config.jwksUri).toBe(`${url}/api/auth/jwks`);
    expect(config.issuer).toBe(url);
  });

  test("AUTH_SERVICE_ALLOW_INSECURE_HTTP=true allows a remote http URL", () => {
    const config = readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_URL: "http://auth.internal", AUTH_SERVICE_ALLOW_INSECURE_HTTP: "true" });
    expect(config.jwksUri).toBe("http://auth.internal/api/auth/jwks");
  });

  test("a non-URL issuer (e.g. a URN) is compared as a string and not subject to the rule", () => {
    expect(readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_ISSUER: "urn:example:issuer" }).issuer).toBe("urn:example:issuer");
  });
});

describe("resolveOidcConfig (programmatic config)", () => {
  test("fills the same defaults as the environment reader", () => {
    expect(resolveOidcConfig({ authServiceUrl: "https://auth.example.com", appSlug: "my-app" })).toEqual(readOidcConfigFromEnv(BASE));
  });

  test("errors name the field, not the variable", () => {
    const error = misconfiguration(() => resolveOidcConfig({ authServiceUrl: "https://auth.example.com", appSlug: "" }));
    expect(error.message).toContain("appSlug");
    expect(error.message).not.toContain("AUTH_SERVICE_");
  });

  test("refuses symmetric algorithms and lists of the wrong shape", () => {
    const base = { authServiceUrl: "https://auth.example.com", appSlug: "my-app" };
    expect(misconfiguration(() => resolveOidcConfig({ ...base, algorithms: ["HS256" as never] })).message).toContain("algorithms");
    expect(misconfiguration(() => resolveOidcConfig({ ...base, algorithms: [] })).message).toContain("algorithms");
    expect(misconfiguration(() => resolveOidcConfig({ ...base, tokenTypes: [""] })).message).toContain("tokenTypes");
    expect(misconfiguration(() => resolveOidcConfig({ ...base, jwksCooldownSeconds: -1 })).message).toContain("jwksCooldownSeconds");
  });

  test.each([
    ["allowInsecureHttp", "false"],
    ["allowInsecureHttp", 1],
    ["jwksUri", 42],
    ["jwksUri", { href: "https://keys.example.com" }],
    ["issuer", ["https://auth.example.com"]],
    ["audience", true],
    ["maxTokenBytes", 4096.5],
  ])("a %s of the wrong type (%j) is refused with ERR_AUTH_MISCONFIGURED naming the field, never a TypeError or a silent default", (field, value) => {
    const error = misconfiguration(() => resolveOidcConfig({ authServiceUrl: "https://auth.example.com", appSlug: "my-app", [field]: value }));
    expect(error.message).toContain(field);
  });

  test('allowInsecureHttp: "false" (a string) does not let a remote http URL through', () => {
    const error = misconfiguration(() => resolveOidcConfig({ authServiceUrl: "http://auth.example.com", appSlug: "my-app", allowInsecureHttp: "false" as never }));
    expect(error.message).toContain("allowInsecureHttp");
  });

  test("AUTH_SERVICE_MAX_TOKEN_BYTES names bytes, not seconds, when it is no whole number", () => {
    const error = misconfiguration(() => readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_MAX_TOKEN_BYTES: "4096.5" }));
    expect(error.message).toContain("whole number");
    expect(error.message).not.toContain("seconds");
    expect(readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_MAX_TOKEN_BYTES: "4096" }).maxTokenBytes).toBe(4096);
  });

  test("refuses a non-object", () => {
    expect(misconfiguration(() => resolveOidcConfig(null as never)).message).toContain("config");
  });
});

test("OIDC_ENV_VARS maps every field to its AUTH_SERVICE_ variable", () => {
  expect(OIDC_ENV_VARS.authServiceUrl).toBe("AUTH_SERVICE_URL");
  expect(OIDC_ENV_VARS.appSlug).toBe("AUTH_SERVICE_APP_SLUG");
  expect(OIDC_ENV_VARS.jwksUri).toBe("AUTH_SERVICE_JWKS_URI");
  expect(OIDC_ENV_VARS.issuer).toBe("AUTH_SERVICE_ISSUER");
  expect(OIDC_ENV_VARS.audience).toBe("AUTH_SERVICE_AUDIENCE");
  for (const name of Object.values(OIDC_ENV_VARS)) expect(name).toMatch(/^AUTH_SERVICE_[A-Z_]+$/);
  expect(Object.keys(OIDC_ENV_VARS).sort()).toEqual(Object.keys(readOidcConfigFromEnv(BASE)).sort());
});

describe("AUTH_SERVICE_MAX_TOKEN_LIFETIME", () => {
  const base = { AUTH_SERVICE_URL: "https://auth.example.com", AUTH_SERVICE_APP_SLUG: "app" };
  test("defaults to one day, takes seconds, refuses under a minute", () => {
    expect(readOidcConfigFromEnv(base).maxTokenLifetimeSeconds).toBe(86_400);
    expect(readOidcConfigFromEnv({ ...base, AUTH_SERVICE_MAX_TOKEN_LIFETIME: "3600" }).maxTokenLifetimeSeconds).toBe(3600);
    expect(() => readOidcConfigFromEnv({ ...base, AUTH_SERVICE_MAX_TOKEN_LIFETIME: "30" })).toThrow(/AUTH_SERVICE_MAX_TOKEN_LIFETIME must be at least 60/);
    expect(() => readOidcConfigFromEnv({ ...base, AUTH_SERVICE_MAX_TOKEN_LIFETIME: "soon" })).toThrow(/AUTH_SERVICE_MAX_TOKEN_LIFETIME/);
  });
});
