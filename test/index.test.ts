import { expect, test } from "@jest/globals";
import * as api from "../src/index.js";

test("the public API exports what issue 2 and the 0.1.x README promise", () => {
  const expected = [
    "OidcConfigManager",
    "OidcHttpMiddleware",
    "OidcSocketMiddleware",
    "OidcSocketAdminMiddleware",
    "verifyOidcToken",
    "bindOidcMiddlewares",
    "createOidcContainer",
    "oidcContainer",
    "TOKENS",
    "OidcError",
    "OIDC_ERROR_STATUS",
    "ERR_AUTH_TOKEN_REQUIRED",
    "ERR_AUTH_TOKEN_INVALID",
    "ERR_USER_DISABLED",
    "ERR_USER_PROVISION_FAILED",
    "ERR_FORBIDDEN",
    "ERR_AUTH_MISCONFIGURED",
    "ERR_AUTH_UNAVAILABLE",
  ];
  for (const name of expected) expect(api).toHaveProperty(name);
});

test("every collaborator has an injection token", () => {
  expect(Object.keys(api.TOKENS).sort()).toEqual(
    ["AppHandle", "AuthPipeline", "Clock", "ConfigService", "DpopProofVerifier", "Environment", "JwksVerifier", "KeySetRegistry", "Logger", "RevocationStore", "SessionRevoker", "SocketServerRegistry", "SocketSessionRegistrar", "UserProvisioner", "VerifiedTokenCache"].sort(),
  );
  for (const token of Object.values(api.TOKENS)) expect(typeof token).toBe("symbol");
});

test("the error code constants are their own names", () => {
  for (const code of Object.keys(api.OIDC_ERROR_STATUS)) expect((api as Record<string, unknown>)[code]).toBe(code);
});

test("the test issuer is not part of the runtime API", () => {
  expect(api).not.toHaveProperty("TestIssuer");
});
