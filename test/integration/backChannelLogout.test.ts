import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import type { Socket as ClientSocket } from "socket.io-client";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { connectSocket, emitWithAck } from "../fixtures/app.js";
import { nextEvent, recordEvents } from "../fixtures/live.js";
import { logoutToken, startLogoutApp, type LogoutApp } from "../fixtures/logoutApp.js";

// The back-channel logout receiver on a real IOServer, registered in one
// line, fed logout tokens signed by the issuer whose access tokens it
// accepts: what the OP sees, and what the user then meets.

let issuer: TestIssuer;
let app: LogoutApp;
const open: ClientSocket[] = [];
let counter = 0;
const unique = (prefix: string) => `${prefix}-${(counter += 1)}`;

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256" });
  app = await startLogoutApp(issuer);
});
afterEach(() => {
  for (const socket of open.splice(0)) socket.close();
});
afterAll(async () => {
  await app.stop();
  await issuer.close();
});

const form = (token: string) => new URLSearchParams({ logout_token: token });
const get = (token: string) => fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${token}` } });

async function connected(token: string): Promise<ClientSocket> {
  const outcome = await connectSocket(app.url, "/chat", { auth: { token } });
  if (!outcome.socket) throw new Error(`connection refused: ${outcome.error?.message}`);
  open.push(outcome.socket);
  return outcome.socket;
}

describe("a valid logout token", () => {
  test("with sid: 200, empty body, no-store; that session's tokens are refused over HTTP and its socket is cut with auth:revoked; the user's other session stays", async () => {
    const sub = unique("user");
    const sid = unique("session");
    const access = await issuer.mint({ sub, sid });
    const otherSession = await issuer.mint({ sub, sid: unique("session") });
    expect((await get(access)).status).toBe(200);
    const socket = await connected(access);
    const other = await connected(otherSession);
    const events = recordEvents(socket, ["auth:revoked", "disconnect"]);
    const reason = nextEvent<string>(socket, "disconnect");

    const res = await app.post(form(await logoutToken(issuer, { sub, sid })));

    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.text()).toBe("");
    expect(await reason).toBe("io server disconnect");
    expect(events).toEqual(["auth:revoked", "disconnect"]);
    const refused = await get(access);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { message: string }).message).toBe("The access token has been revoked");
    expect((await get(otherSession)).status).toBe(200);
    expect(await emitWithAck(other, "whoami")).toMatchObject({ sub });
  });

  test("with sub only: every token of the subject issued up to the logout is refused, a later sign-in works", async () => {
    const sub = unique("user");
    const now = Math.floor(Date.now() / 1000);
    const access = await issuer.mint({ sub, sid: unique("session") }, { now: now - 30 });
    const socket = await connected(access);
    const cut = nextEvent(socket, "auth:revoked");

    expect((await app.post(form(await logoutToken(issuer, { sub, sid: undefined, iat: now })))).status).toBe(200);

    expect(await cut).toEqual({ message: "Your session was revoked" });
    expect((await get(access)).status).toBe(401);
    expect(app.revocations.at(-1)).toMatchObject({ kind: "sub", iss: issuer.issuer, sub, before: now + 1 });
    const later = await issuer.mint({ sub }, { now: now + 2 });
    expect((await get(later)).status).toBe(200);
  });

  test("other form parameters are ignored; a charset on the media type is fine", async () => {
    const sid = unique("session");
    const body = `state=x&logout_token=${await logoutToken(issuer, { sid })}&foo=bar`;
    expect((await app.post(body, "application/x-www-form-urlencoded; charset=UTF-8")).status).toBe(200);
    expect(app.revocations.at(-1)).toMatchObject({ kind: "sid", sid });
  });

  test("typ JWT or no typ is accepted by default", async () => {
    for (const header of [{ typ: "JWT" }, {}]) {
      const sid = unique("session");
      expect((await app.post(form(await logoutToken(issuer, { sid }, header)))).status).toBe(200);
      expect(app.revocations.at(-1)).toMatchObject({ kind: "sid", sid });
    }
  });

  test("the host's other routes are untouched: no form parser is added to the Fastify instance", () => {
    expect(app.server.getApp().hasContentTypeParser("application/x-www-form-urlencoded")).toBe(false);
  });
});

describe("AUTH_SERVICE_LOGOUT_REQUIRE_TYP=true", () => {
  let strict: LogoutApp;
  beforeAll(async () => {
    strict = await startLogoutApp(issuer, { AUTH_SERVICE_LOGOUT_REQUIRE_TYP: "true" });
  });
  afterAll(async () => {
    await strict.stop();
  });

  test("logout+jwt accepted, JWT or none refused", async () => {
    expect((await strict.post(form(await logoutToken(issuer, { sid: unique("s") })))).status).toBe(200);
    expect((await strict.post(form(await logoutToken(issuer, { sid: unique("s") }, { typ: "application/logout+jwt" })))).status).toBe(200);
    for (const header of [{ typ: "JWT" }, {}]) {
      const res = await strict.post(form(await logoutToken(issuer, { sid: unique("s") }, header)));
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: "invalid_request", error_description: 'invalid logout token: header "typ" must be "logout+jwt"' });
    }
    expect(strict.revocations).toHaveLength(2);
  });
});

describe("the JWKS is unreachable", () => {
  test("503 temporarily_unavailable with Retry-After and no-store (the OP may retry); nothing revoked", async () => {
    const cold = await TestIssuer.start({ alg: "ES256" });
    const coldApp = await startLogoutApp(cold, { AUTH_SERVICE_JWKS_COOLDOWN: "0" });
    try {
      const token = await logoutToken(cold, { sid: "s" });
      await cold.pause();
      const res = await coldApp.post(form(token));
      expect(res.status).toBe(503);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(await res.json()).toEqual({ error: "temporarily_unavailable", error_description: "the logout cannot be processed now, retry later" });
      expect(coldApp.revocations).toEqual([]);
      await cold.resume();
      expect((await coldApp.post(form(token))).status).toBe(200);
    } finally {
      await coldApp.stop();
      await cold.close();
    }
  });
});

describe("several trusted issuers (AUTH_SERVICE_ISSUERS)", () => {
  test("each issuer logs out its own sessions, with its own keys; a token naming an untrusted issuer is refused before any key lookup", async () => {
    const partner = await TestIssuer.start({ alg: "EdDSA", issuer: "https://partner.example.test" });
    const both = await startLogoutApp(issuer, { AUTH_SERVICE_ISSUERS: JSON.stringify([{ issuer: partner.issuer, jwksUri: partner.jwksUri, audience: issuer.audience }]) });
    try {
      const access = await partner.mint({ sub: "p-user", sid: "p-session" });
      expect((await fetch(`${both.url}/profile`, { headers: { authorization: `Bearer ${access}` } })).status).toBe(200);
      expect((await both.post(form(await logoutToken(partner, { sid: "p-session" })))).status).toBe(200);
      expect(both.revocations).toEqual([expect.objectContaining({ kind: "sid", iss: partner.issuer, sid: "p-session" })]);
      expect((await fetch(`${both.url}/profile`, { headers: { authorization: `Bearer ${access}` } })).status).toBe(401);

      const jwksBefore = partner.jwksRequests + issuer.jwksRequests;
      const stranger = await both.post(form(await logoutToken(partner, { iss: "https://stranger.example.test", sid: "x" })));
      expect(stranger.status).toBe(400);
      expect(((await stranger.json()) as { error_description: string }).error_description).toContain('unexpected "iss" claim value');
      expect(partner.jwksRequests + issuer.jwksRequests).toBe(jwksBefore);
      expect(both.revocations).toHaveLength(1);
    } finally {
      await both.stop();
      await partner.close();
    }
  });
});
