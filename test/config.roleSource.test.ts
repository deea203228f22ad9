import { expect, test } from "@jest/globals";
import { OIDC_ENV_VARS, readOidcConfigFromEnv, resolveOidcConfig, ROLE_SOURCES } from "../src/index.js";

const base = { AUTH_SERVICE_URL: "https://auth.example.com", AUTH_SERVICE_APP_SLUG: "app" };

test('AUTH_SERVICE_ROLE_SOURCE defaults to "token" (0.1.x\'s rule)', () => {
  expect(readOidcConfigFromEnv(base).roleSource).toBe("token");
  expect(resolveOidcConfig({ authServiceUrl: base.AUTH_SERVICE_URL, appSlug: "app" }).roleSource).toBe("token");
  expect(OIDC_ENV_VARS.roleSource).toBe("AUTH_SERVICE_ROLE_SOURCE");
  expect(ROLE_SOURCES).toEqual(["token", "local-first"]);
});

test('AUTH_SERVICE_ROLE_SOURCE accepts "token" and "local-first", case-insensitively; the OidcConfig field too', () => {
  expect(readOidcConfigFromEnv({ ...base, AUTH_SERVICE_ROLE_SOURCE: "Local-First" }).roleSource).toBe("local-first");
  expect(readOidcConfigFromEnv({ ...base, AUTH_SERVICE_ROLE_SOURCE: "token" }).roleSource).toBe("token");
  expect(resolveOidcConfig({ authServiceUrl: base.AUTH_SERVICE_URL, appSlug: "app", roleSource: "local-first" }).roleSource).toBe("local-first");
});

test("any other value is a misconfiguration naming the variable or the field", () => {
  expect(() => readOidcConfigFromEnv({ ...base, AUTH_SERVICE_ROLE_SOURCE: "local" })).toThrow(
    'AUTH_SERVICE_ROLE_SOURCE must be one of token, local-first (got "local")',
  );
  expect(() => resolveOidcConfig({ authServiceUrl: base.AUTH_SERVICE_URL, appSlug: "app", roleSource: "db" as "token" })).toThrow("roleSource must be one of");
});
