import { describe, expect, test } from "@jest/globals";
import { OIDC_ENV_VARS, readOidcConfigFromEnv, resolveOidcConfig } from "../src/index.js";

const BASE = { AUTH_SERVICE_URL: "https://auth.example.com", AUTH_SERVICE_APP_SLUG: "app" };

describe("revocation staleness settings (several nodes on Redis)", () => {
  test("default: refuse with 503 once out of sync with Redis for 60 s", () => {
    const config = readOidcConfigFromEnv(BASE);
    expect(config).toMatchObject({ revocationMaxStalenessSeconds: 60, revocationStalePolicy: "refuse" });
    expect(OIDC_ENV_VARS.revocationMaxStalenessSeconds).toBe("AUTH_SERVICE_REVOCATION_MAX_STALENESS");
    expect(OIDC_ENV_VARS.revocationStalePolicy).toBe("AUTH_SERVICE_REVOCATION_STALE_POLICY");
  });

  test("both are read from the environment, the policy case-insensitively", () => {
    const config = readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_REVOCATION_MAX_STALENESS: "15", AUTH_SERVICE_REVOCATION_STALE_POLICY: "Serve" });
    expect(config).toMatchObject({ revocationMaxStalenessSeconds: 15, revocationStalePolicy: "serve" });
  });

  test("invalid values are ERR_AUTH_MISCONFIGURED naming the variable or field", () => {
    expect(() => readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_REVOCATION_STALE_POLICY: "maybe" })).toThrow(/AUTH_SERVICE_REVOCATION_STALE_POLICY must be one of refuse, serve/);
    expect(() => readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_REVOCATION_MAX_STALENESS: "-1" })).toThrow(/AUTH_SERVICE_REVOCATION_MAX_STALENESS/);
    expect(() => resolveOidcConfig({ authServiceUrl: BASE.AUTH_SERVICE_URL, appSlug: "app", revocationStalePolicy: "no" as "serve" })).toThrow(/revocationStalePolicy/);
  });
});
