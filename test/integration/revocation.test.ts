import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import type { Socket as ClientSocket } from "socket.io-client";
import { revoke, TOKENS, type RevokeTarget } from "../../src/index.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { ChatService, connectSocket, emitWithAck, ProfileController } from "../fixtures/app.js";
import { nextEvent, pause, recordEvents, startLiveApp, type LiveApp } from "../fixtures/live.js";

// revoke() on a real IOServer: HTTP refused (the verified-token cache on, so
// the second request is a cache hit), handshakes and auth:refresh refused,
// live sockets cut with auth:revoked, and only the matching ones.

let issuer: TestIssuer;
let app: LiveApp;
const open: ClientSocket[] = [];
let counter = 0;
const unique = (prefix: string) => `${prefix}-${(counter += 1)}`;

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256" });
  app = await startLiveApp(issuer, {}, (server, oidc) => {
    server.addController({ name: "profile", controller: ProfileController, middlewares: [oidc.OidcHttpMiddleware], prefix: "/profile" });
    server.addService({ name: "chat", service: ChatService, middlewares: [oidc.OidcSocketMiddleware] });
  });
});
afterEach(() => {
  for (const socket of open.splice(0)) socket.close();
});
afterAll(async () => {
  await app.stop();
  await issuer.close();
});

const get = (token: string) => fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${token}` } });
const hostRevoke = (target: RevokeTarget) => revoke(target, { container: app.container });

async function connected(token: string): Promise<ClientSocket> {
  const outcome = await connectSocket(app.url, "/chat", { auth: { token } });
  if (!outcome.socket) throw new Error(`connection refused: ${outcome.error?.message}`);
  open.push(outcome.socket);
  return outcome.socket;
}

async function expectRevokedHttp(token: string): Promise<void> {
  const res = await get(token);
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toBe('Bearer realm="api", error="invalid_token", error_description="The access token has been revoked", DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519"');
  expect(await res.json()).toEqual({ statusCode: 401, error: "Unauthorized", code: "ERR_AUTH_TOKEN_INVALID", message: "The access token has been revoked" });
}

describe.each<[string, (claims: { sub: string; sid: string; jti: string }) => RevokeTarget]>([
  ["{ jti }", ({ jti }) => ({ jti })],
  ["{ sid }", ({ sid }) => ({ sid })],
  ["{ sub }", ({ sub }) => ({ sub })],
])("revoke(%s)", (_name, targetOf) => {
  test("a token accepted (and cached) a moment ago is refused over HTTP and at the handshake; the live socket gets auth:revoked then is disconnected", async () => {
    const claims = { sub: unique("user"), sid: unique("session"), jti: unique("token") };
    const token = await issuer.mint(claims);
    expect((await get(token)).status).toBe(200);
    expect((await get(token)).status).toBe(200); // a verified-token cache hit from here on
    const socket = await connected(token);
    const events = recordEvents(socket, ["auth:revoked", "disconnect"]);
    const notice = nextEvent(socket, "auth:revoked");
    const reason = nextEvent<string>(socket, "disconnect");

    await hostRevoke(targetOf(claims));

    await expectRevokedHttp(token);
    expect(await notice).toEqual({ message: "Your session was revoked" });
    expect(await reason).toBe("io server disconnect");
    expect(events).toEqual(["auth:revoked", "disconnect"]);
    const again = await connectSocket(app.url, "/chat", { auth: { token } });
    expect(again.connected).toBe(false);
    expect(again.error).toEqual({ message: "ERR_AUTH_TOKEN_INVALID", data: { code: "ERR_AUTH_TOKEN_INVALID", statusCode: 401, message: "The access token has been revoked" } });
  });
});

describe("only what the revocation names", () => {
  test("{ sid }: the user's other session keeps working, over HTTP and on its socket", async () => {
    const sub = unique("user");
    const [ended, other] = await Promise.all([issuer.mint({ sub, sid: unique("s"), jti: unique("t") }), issuer.mint({ sub, sid: unique("s"), jti: unique("t") })]);
    const endedSocket = await connected(ended);
    const otherSocket = await connected(other);
    const cut = nextEvent(endedSocket, "disconnect");
    await hostRevoke({ sid: JSON.parse(Buffer.from(ended.split(".")[1] as string, "base64url").toString()).sid });
    await cut;
    expect((await get(other)).status).toBe(200);
    expect(await emitWithAck(otherSocket, "whoami")).toMatchObject({ sub });
  });

  test("{ sub } (before now): signing in again afterwards works, and that new socket is not cut", async () => {
    const sub = unique("user");
    const old = await issuer.mint({ sub }, { now: Math.floor(Date.now() / 1000) - 10 });
    await connected(old);
    await hostRevoke({ sub });
    const fresh = await issuer.mint({ sub }, { now: Math.floor(Date.now() / 1000) + 2 });
    expect((await get(fresh)).status).toBe(200);
    const socket = await connected(fresh);
    await hostRevoke({ sub, before: Math.floor(Date.now() / 1000) - 5 }); // an older cut-off: changes nothing for the new token
    await pause(100);
    expect(socket.connected).toBe(true);
    await expectRevokedHttp(old);
  });

  test("auth:refresh with a revoked token is refused and leaves the socket on its current token", async () => {
    const sub = unique("user");
    const current = await issuer.mint({ sub, jti: unique("t") });
    const revokedJti = unique("t");
    const revoked = await issuer.mint({ sub, jti: revokedJti });
    const socket = await connected(current);
    await hostRevoke({ jti: revokedJti });
    expect(await emitWithAck(socket, "auth:refresh", { token: revoked })).toEqual({ ok: false, code: "ERR_AUTH_TOKEN_INVALID", statusCode: 401, message: "The access token has been revoked" });
    expect(socket.connected).toBe(true);
    expect(await emitWithAck(socket, "whoami")).toMatchObject({ sub });
  });

  test("a socket that refreshed into a new session is not cut when its old session is revoked", async () => {
    const sub = unique("user");
    const oldSid = unique("s");
    const socket = await connected(await issuer.mint({ sub, sid: oldSid }));
    expect(await emitWithAck(socket, "auth:refresh", { token: await issuer.mint({ sub, sid: unique("s") }) })).toMatchObject({ ok: true });
    await hostRevoke({ sid: oldSid });
    await pause(100);
    expect(socket.connected).toBe(true);
    expect(await emitWithAck(socket, "whoami")).toMatchObject({ sub });
  });

  test("another issuer's revocation of the same sid changes nothing here", async () => {
    const sid = unique("s");
    const token = await issuer.mint({ sid });
    await revoke({ sid }, { container: app.container, iss: "https://elsewhere.example.com" });
    expect((await get(token)).status).toBe(200);
  });
});

describe("revoke(): bad input", () => {
  test.each<[string, unknown]>([
    ["nothing", {}],
    ["two targets", { jti: "a", sid: "b" }],
    ["an empty id", { sid: "" }],
    ["before without sub", { jti: "a", before: 1 }],
    ["a non-numeric before", { sub: "a", before: "yesterday" }],
  ])("%s: a TypeError, nothing revoked", async (_name, target) => {
    await expect(hostRevoke(target as RevokeTarget)).rejects.toThrow(TypeError);
  });

  test("entries live for the longest token lifetime plus the clock tolerance", async () => {
    const before = Date.now();
    const revocation = await hostRevoke({ jti: unique("t") });
    const { maxTokenLifetimeSeconds, clockToleranceSeconds } = app.container.resolve(TOKENS.ConfigService).get();
    expect(revocation.expiresAt - app.clock.now()).toBeLessThanOrEqual((maxTokenLifetimeSeconds + clockToleranceSeconds) * 1000);
    expect(revocation.expiresAt - before).toBeGreaterThanOrEqual((maxTokenLifetimeSeconds + clockToleranceSeconds) * 1000);
  });
});
