import { describe, expect, test } from "@jest/globals";
import { ERR_AUTH_MISCONFIGURED, OIDC_ENV_VARS, readOidcConfigFromEnv, resolveOidcConfig } from "../src/index.js";

const base = { AUTH_SERVICE_URL: "https://auth.example.com", AUTH_SERVICE_APP_SLUG: "app" };

describe("token cache settings", () => {
  test("default to 10,000 entries and 300 s", () => {
    const config = readOidcConfigFromEnv(base);
    expect(config.tokenCacheSize).toBe(10_000);
    expect(config.tokenCacheTtlSeconds).toBe(300);
    expect(OIDC_ENV_VARS.tokenCacheSize).toBe("AUTH_SERVICE_TOKEN_CACHE_SIZE");
    expect(OIDC_ENV_VARS.tokenCacheTtlSeconds).toBe("AUTH_SERVICE_TOKEN_CACHE_TTL");
  });

  test("are read from AUTH_SERVICE_TOKEN_CACHE_SIZE and AUTH_SERVICE_TOKEN_CACHE_TTL; 0 is allowed", () => {
    const config = readOidcConfigFromEnv({ ...base, AUTH_SERVICE_TOKEN_CACHE_SIZE: "0", AUTH_SERVICE_TOKEN_CACHE_TTL: "30" });
    expect(config.tokenCacheSize).toBe(0);
    expect(config.tokenCacheTtlSeconds).toBe(30);
  });

  test.each(["-1", "1.5", "ten", "1e3"])("AUTH_SERVICE_TOKEN_CACHE_SIZE=%s is refused, naming the variable", (value) => {
    expect(() => readOidcConfigFromEnv({ ...base, AUTH_SERVICE_TOKEN_CACHE_SIZE: value })).toThrow(
      expect.objectContaining({ code: ERR_AUTH_MISCONFIGURED, message: expect.stringContaining("AUTH_SERVICE_TOKEN_CACHE_SIZE") }),
    );
  });

  test("a negative TTL or a fractional size given in code is refused, naming the field", () => {
    expect(() => resolveOidcConfig({ authServiceUrl: base.AUTH_SERVICE_URL, appSlug: "app", tokenCacheTtlSeconds: -1 })).toThrow(/tokenCacheTtlSeconds/);
    expect(() => resolveOidcConfig({ authServiceUrl: base.AUTH_SERVICE_URL, appSlug: "app", tokenCacheSize: 2.5 })).toThrow(/tokenCacheSize/);
  });
});
