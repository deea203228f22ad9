import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { decodeJwt } from "jose";
import { bindOidcMiddlewares, createOidcContainer, createOidcLogger, discoveryUrls, oidcReady, TOKENS, verifyOidcToken } from "../../src/index.js";
import { ChatService, ProfileController, connectSocket, emitWithAck, startServer } from "../fixtures/app.js";
import { startOAuthProviderServer, type OAuthClient, type OAuthProviderServer } from "./betterAuthOAuthProvider.js";
import { contextEverywhere } from "./protectedApp.js";

// BetterAuth's oauth-provider (1.7.5) serves its metadata under the auth base path: the OpenID document at
// <baseURL>/api/auth/.well-known/openid-configuration (only while "openid" is a supported scope), and the RFC 8414 one
// at /.well-known/oauth-authorization-server/api/auth. Its access tokens carry `scope` as a space-delimited string.
const RESOURCE = "https://api.example.com";

async function protectedByDiscovery(authServer: OAuthProviderServer) {
  const container = createOidcContainer();
  container.register(TOKENS.Environment, {
    useValue: {
      AUTH_SERVICE_URL: authServer.baseURL,
      AUTH_SERVICE_APP_SLUG: "interop-api",
      AUTH_SERVICE_ISSUER: authServer.authBaseURL,
      AUTH_SERVICE_AUDIENCE: RESOURCE,
      AUTH_SERVICE_TOKEN_TYPES: "at+jwt",
      AUTH_SERVICE_DISCOVERY: "true",
    },
  });
  container.register(TOKENS.Logger, { useValue: createOidcLogger(undefined, "silent") });
  const oidc = bindOidcMiddlewares(container);
  const app = await startServer((server) => {
    server.addManager({ name: "oidcConfig", manager: oidc.OidcConfigManager });
    server.addController({ name: "profile", controller: ProfileController, middlewares: [oidc.OidcHttpMiddleware], prefix: "/profile" });
    server.addController({ name: "scoped", controller: ProfileController, middlewares: [oidc.OidcHttpMiddleware, oidc.requireScopes("api:write").http], prefix: "/scoped" });
    server.addService({ name: "chat", service: ChatService, middlewares: [oidc.OidcSocketMiddleware] });
    server.addService({ name: "notes", service: ChatService, middlewares: [oidc.OidcSocketMiddleware, oidc.requireScopes("api:read").socket] });
  });
  await oidcReady(container);
  return { ...app, container };
}

describe.each([
  ["with the openid scope: the OpenID Connect document", undefined, 0],
  ["without it: the RFC 8414 document, found after the OpenID one is not there", ["profile"], 1],
])("%s", (_name, extraScopes, documentIndex) => {
  let authServer: OAuthProviderServer;
  let client: OAuthClient;
  let app: Awaited<ReturnType<typeof protectedByDiscovery>>;

  beforeAll(async () => {
    authServer = await startOAuthProviderServer({ resources: [RESOURCE], extraScopes });
    client = await authServer.registerClient();
    app = await protectedByDiscovery(authServer);
  });
  afterAll(async () => {
    await app.stop();
    await authServer.close();
  });

  test("the server publishes that document, naming its issuer and JWKS exactly", async () => {
    const urls = discoveryUrls(authServer.authBaseURL);
    const answers = await Promise.all(urls.map((url) => fetch(url, { signal: AbortSignal.timeout(5000) })));
    expect(answers[documentIndex]?.status).toBe(200);
    if (documentIndex === 1) expect(answers[0]?.status).toBeGreaterThanOrEqual(400);
    expect(await answers[documentIndex]?.json()).toMatchObject({ issuer: authServer.authBaseURL, jwks_uri: authServer.jwksUrl });
  });

  test("discovery finds the JWKS: its access tokens are accepted on both transports", async () => {
    const token = await authServer.clientCredentials(client, [RESOURCE]);
    expect(await contextEverywhere(app.url, token)).toMatchObject({ sub: client.clientId });
    expect(authServer.jwksRequests).toBeGreaterThanOrEqual(1);
  });

  test("its tokens carry scope as a string, read into context.scopes and checked by requireScopes", async () => {
    const token = await authServer.clientCredentials(client, [RESOURCE]);
    expect(decodeJwt(token).scope).toBe("api:read");
    const config = { authServiceUrl: authServer.baseURL, appSlug: "interop-api", issuer: authServer.authBaseURL, audience: RESOURCE, discovery: true };
    expect(await verifyOidcToken(token, config, app.container)).toMatchObject({ scopes: ["api:read"], iss: authServer.authBaseURL });

    const { socket } = await connectSocket(app.url, "/notes", { auth: { token } });
    expect(await emitWithAck(socket!, "whoami")).toMatchObject({ sub: client.clientId });
    socket!.close();
    const res = await fetch(`${app.url}/scoped`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    expect(res.headers.get("www-authenticate")).toContain('scope="api:write"');
  });
});
