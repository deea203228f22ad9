import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { ERR_AUTH_TOKEN_INVALID } from "../../src/index.js";
import { startOAuthProviderServer, type OAuthClient, type OAuthProviderServer } from "./betterAuthOAuthProvider.js";
import { contextEverywhere, expectRefusedEverywhere, startProtectedApp, type AuthServiceEnv, type ProtectedApp } from "./protectedApp.js";

// JWT access tokens from BetterAuth's OAuth 2.1 provider (client_credentials + RFC 8707 resource), verified as
// RFC 9068 access tokens: iss <baseURL>/api/auth, aud the resource, header typ at+jwt.
const RESOURCE = "https://api.example.com";
const OTHER_RESOURCE = "https://reports.example.com";

/** The settings for an API that accepts only this server's access tokens for RESOURCE. */
const accessTokenEnv = (server: OAuthProviderServer): AuthServiceEnv => ({
  AUTH_SERVICE_URL: server.baseURL,
  AUTH_SERVICE_APP_SLUG: "interop-api",
  AUTH_SERVICE_ISSUER: `${server.baseURL}/api/auth`,
  AUTH_SERVICE_AUDIENCE: RESOURCE,
  AUTH_SERVICE_TOKEN_TYPES: "at+jwt",
});

describe("with BetterAuth's defaults", () => {
  let authServer: OAuthProviderServer;
  let app: ProtectedApp;
  let client: OAuthClient;

  beforeAll(async () => {
    authServer = await startOAuthProviderServer({
      resources: [RESOURCE, OTHER_RESOURCE],
      accessTokenClaims: { roles: ["service"], permissions: ["reports:read"], features: { export: true } },
    });
    app = await startProtectedApp(accessTokenEnv(authServer));
    client = await authServer.registerClient();
  });
  afterAll(async () => {
    await app.stop();
    await authServer.close();
  });

  test("a client_credentials access token is accepted over HTTP and Socket.IO; sub is the client id", async () => {
    const token = await authServer.clientCredentials(client, [RESOURCE]);
    expect(decodeProtectedHeader(token)).toEqual({ typ: "at+jwt", alg: "EdDSA", kid: expect.any(String) });
    expect(decodeJwt(token)).toMatchObject({ iss: `${authServer.baseURL}/api/auth`, aud: RESOURCE, sub: client.clientId, client_id: client.clientId });

    expect(await contextEverywhere(app.url, token)).toEqual({
      sub: client.clientId,
      userId: client.clientId,
      userRole: "service",
      roles: ["service"],
      permissions: ["reports:read"],
      features: { export: true },
    });
  });

  test("a token for two resources has an array aud and is accepted when the array holds AUTH_SERVICE_AUDIENCE", async () => {
    const token = await authServer.clientCredentials(client, [OTHER_RESOURCE, RESOURCE]);
    expect(decodeJwt(token).aud).toEqual([OTHER_RESOURCE, RESOURCE]);
    expect(await contextEverywhere(app.url, token)).toMatchObject({ sub: client.clientId });
  });

  test("a token for another resource only is refused with ERR_AUTH_TOKEN_INVALID", async () => {
    const token = await authServer.clientCredentials(client, [OTHER_RESOURCE]);
    await expectRefusedEverywhere(app.url, token, ERR_AUTH_TOKEN_INVALID, 401);
  });

  test("client_credentials refuses the openid scope, so its aud never gains the userinfo URL an openid request would add", async () => {
    await expect(authServer.clientCredentials(client, [RESOURCE], "openid")).rejects.toThrow(/invalid_scope/);
  });
});

// When the jwt plugin's issuer and audience are set to the API's, BetterAuth's session JWTs carry the same iss and
// aud as its access tokens: only the header typ tells them apart.
describe("when session JWTs share the access tokens' iss and aud", () => {
  let authServer: OAuthProviderServer;
  let client: OAuthClient;
  let sessionJwt: string;
  const apps: ProtectedApp[] = [];

  beforeAll(async () => {
    authServer = await startOAuthProviderServer({ resources: [RESOURCE], issuer: (urls) => urls.authBaseURL, audience: RESOURCE });
    client = await authServer.registerClient();
    const { cookie } = await authServer.signUp("eve@example.com", "correct-horse-battery", "Eve");
    sessionJwt = await authServer.sessionJwt(cookie);
  });
  afterAll(async () => {
    for (const app of apps) await app.stop();
    await authServer.close();
  });

  async function appWith(env: AuthServiceEnv): Promise<ProtectedApp> {
    const app = await startProtectedApp(env);
    apps.push(app);
    return app;
  }

  test("AUTH_SERVICE_TOKEN_TYPES=at+jwt refuses the session JWT (no typ) and accepts the access token", async () => {
    const { AUTH_SERVICE_TOKEN_TYPES: _typ, ...withoutTokenTypes } = accessTokenEnv(authServer);
    const accessToken = await authServer.clientCredentials(client, [RESOURCE]);
    expect(decodeProtectedHeader(sessionJwt).typ).toBeUndefined();
    expect(decodeJwt(sessionJwt)).toMatchObject({ iss: decodeJwt(accessToken).iss, aud: RESOURCE });

    // Control: without the token-type rule the session JWT passes as an access token.
    const lax = await appWith(withoutTokenTypes);
    expect(await contextEverywhere(lax.url, sessionJwt)).toMatchObject({ sub: decodeJwt(sessionJwt).sub });

    const strict = await appWith(accessTokenEnv(authServer));
    await expectRefusedEverywhere(strict.url, sessionJwt, ERR_AUTH_TOKEN_INVALID, 401);
    expect(await contextEverywhere(strict.url, accessToken)).toMatchObject({ sub: client.clientId });
  });
});
