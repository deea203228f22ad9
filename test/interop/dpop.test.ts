import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { decodeJwt } from "jose";
import { connectSocket, emitWithAck } from "../fixtures/app.js";
import { dpopClient, type DpopClient } from "../fixtures/dpopProofs.js";
import { startOAuthProviderServer, type OAuthClient, type OAuthProviderServer } from "./betterAuthOAuthProvider.js";
import { startProtectedApp, type ProtectedApp } from "./protectedApp.js";

// A DPoP-bound access token from a real BetterAuth oauth-provider 1.7.5 (client_credentials with a proof, the client
// registered with dpop_bound_access_tokens), used on a real IOServer route and namespace with proofs minted by
// panva's dpop package.
const RESOURCE = "https://api.example.com";
let authServer: OAuthProviderServer;
let app: ProtectedApp;
let oauthClient: OAuthClient;
let key: DpopClient;
let token: string;

beforeAll(async () => {
  authServer = await startOAuthProviderServer({ resources: [RESOURCE], accessTokenClaims: { roles: ["service"] } });
  app = await startProtectedApp({
    AUTH_SERVICE_URL: authServer.baseURL,
    AUTH_SERVICE_APP_SLUG: "interop-api",
    AUTH_SERVICE_ISSUER: `${authServer.baseURL}/api/auth`,
    AUTH_SERVICE_AUDIENCE: RESOURCE,
    AUTH_SERVICE_TOKEN_TYPES: "at+jwt",
  });
  oauthClient = await authServer.registerClient({ dpopBound: true });
  key = await dpopClient("ES256");
  token = await authServer.clientCredentials(oauthClient, [RESOURCE], undefined, (htm, htu) => key.proof(htm, htu));
});
afterAll(async () => {
  await app.stop();
  await authServer.close();
});

const get = async (authorization: string, proof?: string) =>
  fetch(`${app.url}/profile`, { headers: proof === undefined ? { authorization } : { authorization, dpop: proof } });

test("BetterAuth binds the token to the proof's key (cnf.jkt = RFC 7638 thumbprint) and refuses the grant without a proof", async () => {
  expect(decodeJwt(token)).toMatchObject({ sub: oauthClient.clientId, aud: RESOURCE, cnf: { jkt: key.jkt } });
  await expect(authServer.clientCredentials(oauthClient, [RESOURCE])).rejects.toThrow(/invalid_dpop_proof/);
});

test("accepted on a real route and namespace with a fresh proof each time", async () => {
  for (let i = 0; i < 2; i += 1) {
    const res = await get(`DPoP ${token}`, await key.proof("GET", `${app.url}/profile`, token));
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: expect.objectContaining({ sub: oauthClient.clientId, roles: ["service"] }) });
  }
  const outcome = await connectSocket(app.url, "/chat", { auth: { token, dpop: await key.proof("GET", `${app.url}/chat`, token) } });
  expect(outcome.connected).toBe(true);
  expect(await emitWithAck(outcome.socket!, "whoami")).toMatchObject({ sub: oauthClient.clientId });
  outcome.socket!.close();
});

test("refused as Bearer, with a replayed proof, a proof for another method, URL, key or token, an expired or future proof", async () => {
  const challengeOf = async (res: Response) => ({ status: res.status, challenge: res.headers.get("www-authenticate") });
  expect(await challengeOf(await get(`Bearer ${token}`))).toEqual({ status: 401, challenge: expect.stringMatching(/^Bearer realm="api", error="invalid_token"/) });

  const proof = await key.proof("GET", `${app.url}/profile`, token);
  expect((await get(`DPoP ${token}`, proof)).status).toBe(200);
  const refusals: [string, Promise<string>][] = [
    ["already used", Promise.resolve(proof)],
    ['"htm" does not match', key.proof("POST", `${app.url}/profile`, token)],
    ['"htu" does not match', key.proof("GET", `${app.url}/profile/admin`, token)],
    ['"ath" does not match', key.proof("GET", `${app.url}/profile`, "another-token")],
    ['"iat" is too old', key.proofAt(-600, "GET", `${app.url}/profile`, token)],
    ['"iat" is in the future', key.proofAt(600, "GET", `${app.url}/profile`, token)],
  ];
  for (const [why, pending] of refusals) {
    const result = await challengeOf(await get(`DPoP ${token}`, await pending));
    expect({ why, ...result }).toEqual({ why, status: 401, challenge: expect.stringContaining('DPoP error="invalid_dpop_proof"') });
    expect(result.challenge).toContain(why.replace(/"/g, ""));
  }
  const other = await dpopClient("ES256");
  expect(await challengeOf(await get(`DPoP ${token}`, await other.proof("GET", `${app.url}/profile`, token)))).toEqual({
    status: 401,
    challenge: expect.stringContaining('DPoP error="invalid_token", error_description="Invalid DPoP key binding"'),
  });
  const socketReplay = await key.proof("GET", `${app.url}/chat`, token);
  const first = await connectSocket(app.url, "/chat", { auth: { token, dpop: socketReplay } });
  first.socket?.close();
  expect((await connectSocket(app.url, "/chat", { auth: { token, dpop: socketReplay } })).error?.message).toBe("ERR_AUTH_TOKEN_INVALID");
  expect((await connectSocket(app.url, "/chat", { auth: { token } })).error?.message).toBe("ERR_AUTH_TOKEN_INVALID");
});
