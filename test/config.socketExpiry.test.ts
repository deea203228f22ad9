import { expect, test } from "@jest/globals";
import { OIDC_ENV_VARS, readOidcConfigFromEnv, resolveOidcConfig } from "../src/index.js";

const base = { AUTH_SERVICE_URL: "https://auth.example.com", AUTH_SERVICE_APP_SLUG: "app" };

test('AUTH_SERVICE_SOCKET_EXPIRY defaults to "disconnect"', () => {
  expect(readOidcConfigFromEnv(base).socketExpiry).toBe("disconnect");
  expect(OIDC_ENV_VARS.socketExpiry).toBe("AUTH_SERVICE_SOCKET_EXPIRY");
});

test('AUTH_SERVICE_SOCKET_EXPIRY accepts "ignore" and "disconnect", case-insensitively', () => {
  expect(readOidcConfigFromEnv({ ...base, AUTH_SERVICE_SOCKET_EXPIRY: "IGNORE" }).socketExpiry).toBe("ignore");
  expect(readOidcConfigFromEnv({ ...base, AUTH_SERVICE_SOCKET_EXPIRY: "disconnect" }).socketExpiry).toBe("disconnect");
});

test("any other value is ERR_AUTH_MISCONFIGURED naming the variable", () => {
  expect(() => readOidcConfigFromEnv({ ...base, AUTH_SERVICE_SOCKET_EXPIRY: "kick" })).toThrow(
    'AUTH_SERVICE_SOCKET_EXPIRY must be one of disconnect, ignore (got "kick")',
  );
  expect(() => resolveOidcConfig({ authServiceUrl: base.AUTH_SERVICE_URL, appSlug: "app", socketExpiry: "kick" as "ignore" })).toThrow("socketExpiry must be one of");
});
