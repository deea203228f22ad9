import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { io } from "socket.io-client";
import { keepSocketAuthenticated } from "../../src/client/index.js";
import { TestIssuer } from "../../src/testing/index.js";
import { AUTH_REFRESH_EVENT } from "../../src/socketProtocol.js";
import { calls, connectSocket, emitWithAck } from "../fixtures/app.js";
import { dpopClient, type DpopClient } from "../fixtures/dpopProofs.js";
import { startProtectedApp, type AuthServiceEnv, type ProtectedApp } from "../interop/protectedApp.js";

// RFC 9449 on a real IOServer: GET /profile (OidcHttpMiddleware) and namespace /chat (OidcSocketMiddleware),
// tokens from a real JWKS issuer, proofs from panva's dpop package.
const ALGS = 'algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519"';
let issuer: TestIssuer;
let client: DpopClient;
const apps: ProtectedApp[] = [];

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256", audience: "chat-app" });
  client = await dpopClient("ES256");
});
afterAll(async () => {
  for (const app of apps) await app.stop();
  await issuer.close();
});

async function appWith(extra: Record<string, string> = {}): Promise<ProtectedApp> {
  const app = await startProtectedApp(issuer.env({ AUTH_SERVICE_APP_SLUG: "chat-app", ...extra }) as AuthServiceEnv);
  apps.push(app);
  return app;
}

const bound = (sub = "alice", jkt = client.jkt) => issuer.mint({ sub, aud: "chat-app", cnf: { jkt } });

async function dpopGet(app: ProtectedApp, token: string, proof: string | undefined, path = "/profile"): Promise<Response> {
  const headers: Record<string, string> = { authorization: `DPoP ${token}` };
  if (proof !== undefined) headers.dpop = proof;
  return fetch(`${app.url}${path}`, { headers });
}

describe("AUTH_SERVICE_DPOP=allowed (default)", () => {
  let app: ProtectedApp;
  beforeAll(async () => {
    app = await appWith();
  });

  test("a DPoP-bound token with a fresh proof per request is accepted, again and again (the token cache does not skip the proof)", async () => {
    const token = await bound();
    for (let i = 0; i < 3; i += 1) {
      const res = await dpopGet(app, token, await client.proof("GET", `${app.url}/profile`, token));
      expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: expect.objectContaining({ sub: "alice" }) });
    }
  });

  test("the same token as Bearer is refused (RFC 9449 §7.2) with the error on the Bearer challenge", async () => {
    const token = await bound();
    const res = await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(
      `Bearer realm="api", error="invalid_token", error_description="A DPoP-bound token must be sent with the DPoP scheme and a proof", DPoP ${ALGS}`,
    );
    expect(res.headers.get("access-control-expose-headers")).toBe("WWW-Authenticate, DPoP-Nonce");
    expect(await res.json()).toEqual({ statusCode: 401, error: "Unauthorized", code: "ERR_AUTH_TOKEN_INVALID", message: "A DPoP-bound token must be sent with the DPoP scheme and a proof" });
  });

  test("an unbound token still works as Bearer", async () => {
    const res = await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${await issuer.mint({ sub: "bob", aud: "chat-app" })}` } });
    expect(res.status).toBe(200);
  });

  test("a replayed proof is refused with invalid_dpop_proof; no handler ran", async () => {
    const token = await bound();
    const proof = await client.proof("GET", `${app.url}/profile`, token);
    expect((await dpopGet(app, token, proof)).status).toBe(200);
    const before = calls.length;
    const replay = await dpopGet(app, token, proof);
    expect(replay.status).toBe(401);
    expect(replay.headers.get("www-authenticate")).toBe(`Bearer realm="api", DPoP error="invalid_dpop_proof", error_description="The DPoP proof was already used", ${ALGS}`);
    expect(calls.length).toBe(before);
  });

  test("a proof of another key than cnf.jkt is refused with invalid_token on the DPoP challenge", async () => {
    const other = await dpopClient("ES256");
    const token = await bound();
    const res = await dpopGet(app, token, await other.proof("GET", `${app.url}/profile`, token));
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(`Bearer realm="api", DPoP error="invalid_token", error_description="Invalid DPoP key binding", ${ALGS}`);
  });

  test("Bearer and DPoP in one request: 400 invalid_request, code ERR_AUTH_TOKEN_INVALID", async () => {
    const token = await bound();
    const res = await fetch(`${app.url}/profile`, {
      headers: [
        ["authorization", `Bearer ${token}`],
        ["authorization", `DPoP ${token}`],
        ["dpop", await client.proof("GET", `${app.url}/profile`, token)],
      ],
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="api", error="invalid_request", error_description="[^"]+", DPoP algs="[^"]+"$/);
    expect(await res.json()).toMatchObject({ statusCode: 400, error: "Bad Request", code: "ERR_AUTH_TOKEN_INVALID" });
  });

  test("Socket.IO: auth { token, dpop } with a proof of GET <origin>/chat connects; a replay of that proof is refused", async () => {
    const token = await bound();
    const proof = await client.proof("GET", `${app.url}/chat`, token);
    const ok = await connectSocket(app.url, "/chat", { auth: { token, dpop: proof } });
    expect(ok.connected).toBe(true);
    expect(await emitWithAck(ok.socket!, "whoami")).toMatchObject({ sub: "alice" });
    ok.socket!.close();
    const replay = await connectSocket(app.url, "/chat", { auth: { token, dpop: proof } });
    expect(replay.connected).toBe(false);
    expect(replay.error).toEqual({
      message: "ERR_AUTH_TOKEN_INVALID",
      data: {
        code: "ERR_AUTH_TOKEN_INVALID",
        statusCode: 401,
        message: "The DPoP proof was already used",
        challenge: `Bearer realm="api", DPoP error="invalid_dpop_proof", error_description="The DPoP proof was already used", ${ALGS}`,
      },
    });
  });

  test("a cnf with other members beside jkt (as Keycloak sends) is accepted with a proof of that key; only jkt binds", async () => {
    const token = await issuer.mint({ sub: "kc-user", aud: "chat-app", cnf: { jkt: client.jkt, "x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2" } });
    const res = await dpopGet(app, token, await client.proof("GET", `${app.url}/profile`, token));
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: expect.objectContaining({ sub: "kc-user" }) });
    const other = await dpopClient("ES256");
    const refused = await dpopGet(app, token, await other.proof("GET", `${app.url}/profile`, token));
    expect(refused.status).toBe(401);
  });

  test("Socket.IO without auth.token: the upgrade request's Authorization: DPoP and DPoP headers are read, the proof for GET <origin>/chat", async () => {
    const token = await bound("hedda");
    const ok = await connectSocket(app.url, "/chat", { headers: { authorization: `DPoP ${token}`, dpop: await client.proof("GET", `${app.url}/chat`, token) } });
    expect(ok.connected).toBe(true);
    expect(await emitWithAck(ok.socket!, "whoami")).toMatchObject({ sub: "hedda" });
    ok.socket!.close();
    // The same headers with a proof for the HTTP route: refused, as for auth.dpop.
    const wrong = await connectSocket(app.url, "/chat", { headers: { authorization: `DPoP ${token}`, dpop: await client.proof("GET", `${app.url}/profile`, token) } });
    expect(wrong.connected).toBe(false);
    expect(wrong.error?.message).toBe("ERR_AUTH_TOKEN_INVALID");
  });

  test("Socket.IO: a proof for the HTTP route, for POST, or the bound token without auth.dpop is refused", async () => {
    const token = await bound();
    for (const auth of [
      { token, dpop: await client.proof("GET", `${app.url}/profile`, token) },
      { token, dpop: await client.proof("POST", `${app.url}/chat`, token) },
      { token },
    ]) {
      const outcome = await connectSocket(app.url, "/chat", { auth });
      expect(outcome.connected).toBe(false);
      expect(outcome.error?.message).toBe("ERR_AUTH_TOKEN_INVALID");
    }
  });

  test("Socket.IO auth:refresh carries a fresh proof for the new token; a reused proof is refused", async () => {
    const first = await bound();
    const outcome = await connectSocket(app.url, "/chat", { auth: { token: first, dpop: await client.proof("GET", `${app.url}/chat`, first) } });
    expect(outcome.connected).toBe(true);
    const socket = outcome.socket!;
    try {
      const next = await issuer.mint({ sub: "alice", aud: "chat-app", cnf: { jkt: client.jkt }, roles: ["refreshed"] });
      const proof = await client.proof("GET", `${app.url}/chat`, next);
      expect(await emitWithAck(socket, AUTH_REFRESH_EVENT, { token: next, dpop: proof })).toEqual({ ok: true, exp: expect.any(Number) });
      expect(await emitWithAck(socket, "whoami")).toMatchObject({ roles: ["refreshed"] });
      expect(await emitWithAck(socket, AUTH_REFRESH_EVENT, { token: next, dpop: proof })).toMatchObject({ ok: false, code: "ERR_AUTH_TOKEN_INVALID", message: "The DPoP proof was already used" });
      expect(await emitWithAck(socket, AUTH_REFRESH_EVENT, { token: next })).toMatchObject({ ok: false, code: "ERR_AUTH_TOKEN_INVALID" });
    } finally {
      socket.close();
    }
  });
});

describe("ioserver-oidc/client with dpopProof", () => {
  test("keepSocketAuthenticated sends { token, dpop } at the handshake and on each auth:refresh, a new proof each time", async () => {
    const app = await appWith();
    let issued = 0;
    const socket = io(`${app.url}/chat`, { transports: ["websocket"], reconnection: false, forceNew: true, autoConnect: false, timeout: 5000 });
    const errors: Error[] = [];
    const handle = keepSocketAuthenticated(socket, {
      // Tokens live 3 s and are refreshed 2 s before exp: the first refresh follows the connection within about a second.
      getToken: () => issuer.mint({ sub: "alice", aud: "chat-app", cnf: { jkt: client.jkt }, roles: [`r${(issued += 1)}`] }, { expiresIn: 3 }),
      dpopProof: (token) => client.proof("GET", `${app.url}/chat`, token),
      refreshBeforeSeconds: 2,
      onError: (error) => errors.push(error),
    });
    try {
      socket.connect();
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", () => resolve());
        socket.once("connect_error", reject);
      });
      expect(await emitWithAck(socket, "whoami")).toMatchObject({ roles: ["r1"] });
      // Bounded wait for the first in-band refresh (no timing is asserted).
      for (let i = 0; i < 50 && issued < 2; i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
      for (let i = 0; i < 50; i += 1) {
        const { roles } = await emitWithAck<{ roles: string[] }>(socket, "whoami");
        if (roles[0] !== "r1") break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await emitWithAck(socket, "whoami")).toMatchObject({ roles: [expect.not.stringMatching(/^r1$/)] });
      expect(errors).toEqual([]);
    } finally {
      handle.stop();
      socket.close();
    }
  });
});

describe("AUTH_SERVICE_DPOP=required", () => {
  let app: ProtectedApp;
  beforeAll(async () => {
    app = await appWith({ AUTH_SERVICE_DPOP: "required", AUTH_SERVICE_DPOP_ALGORITHMS: "ES256,EdDSA" });
  });

  test("a bearer token is refused; the challenge offers DPoP only", async () => {
    const res = await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${await issuer.mint({ aud: "chat-app" })}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(
      'Bearer realm="api", error="invalid_token", error_description="This resource requires a DPoP-bound token and proof (Authorization: DPoP)", DPoP algs="ES256 EdDSA"',
    );
    const none = await fetch(`${app.url}/profile`);
    expect(none.headers.get("www-authenticate")).toBe('DPoP algs="ES256 EdDSA"');
  });

  test("a DPoP-bound token with its proof is accepted; a proof signed with a non-listed alg is refused", async () => {
    const token = await bound();
    expect((await dpopGet(app, token, await client.proof("GET", `${app.url}/profile`, token))).status).toBe(200);
    const rsa = await dpopClient("PS256");
    const rsaToken = await bound("alice", rsa.jkt);
    const res = await dpopGet(app, rsaToken, await rsa.proof("GET", `${app.url}/profile`, rsaToken));
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('DPoP error="invalid_dpop_proof", error_description="The DPoP proof header \\"alg\\"'.replace('\\"alg\\"', "alg"));
  });
});

describe("AUTH_SERVICE_DPOP=disabled", () => {
  let app: ProtectedApp;
  beforeAll(async () => {
    app = await appWith({ AUTH_SERVICE_DPOP: "disabled" });
  });

  test("the DPoP scheme is not recognised (no token presented); a bound token as Bearer is still refused; no DPoP challenge", async () => {
    const token = await bound();
    const dpopRes = await dpopGet(app, token, await client.proof("GET", `${app.url}/profile`, token));
    expect(dpopRes.status).toBe(401);
    expect(await dpopRes.json()).toMatchObject({ code: "ERR_AUTH_TOKEN_REQUIRED" });
    expect(dpopRes.headers.get("www-authenticate")).toBe('Bearer realm="api"');
    const bearer = await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${token}` } });
    expect(bearer.status).toBe(401);
    expect(bearer.headers.get("www-authenticate")).toMatch(/^Bearer realm="api", error="invalid_token", error_description="A DPoP-bound token[^"]*"$/);
  });
});

describe("nonces (AUTH_SERVICE_DPOP_NONCE_SECRET)", () => {
  let app: ProtectedApp;
  beforeAll(async () => {
    app = await appWith({ AUTH_SERVICE_DPOP_NONCE_SECRET: "a-secret-shared-by-every-node-0123456789" });
  });

  test("a proof without a nonce gets 401 use_dpop_nonce and a DPoP-Nonce; the retry with it is accepted", async () => {
    const token = await bound();
    const first = await dpopGet(app, token, await client.proof("GET", `${app.url}/profile`, token));
    expect(first.status).toBe(401);
    expect(first.headers.get("www-authenticate")).toBe(`Bearer realm="api", DPoP error="use_dpop_nonce", error_description="The DPoP proof must carry the server's nonce", ${ALGS}`);
    expect(first.headers.get("access-control-expose-headers")).toBe("WWW-Authenticate, DPoP-Nonce");
    const nonce = first.headers.get("dpop-nonce");
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const retry = await dpopGet(app, token, await client.proof("GET", `${app.url}/profile`, token, nonce!));
    expect(retry.status).toBe(200);
    const forged = await dpopGet(app, token, await client.proof("GET", `${app.url}/profile`, token, "x".repeat(43)));
    expect(forged.status).toBe(401);
    expect(forged.headers.get("www-authenticate")).toContain('DPoP error="use_dpop_nonce"');
    expect(forged.headers.get("dpop-nonce")).toBe(nonce);
  });

  test("Socket.IO: the refusal's data carries the nonce; the handshake with it connects", async () => {
    const token = await bound();
    const refused = await connectSocket(app.url, "/chat", { auth: { token, dpop: await client.proof("GET", `${app.url}/chat`, token) } });
    const data = refused.error?.data as { dpopNonce?: string; challenge?: string };
    expect(data.challenge).toContain('DPoP error="use_dpop_nonce"');
    const ok = await connectSocket(app.url, "/chat", { auth: { token, dpop: await client.proof("GET", `${app.url}/chat`, token, data.dpopNonce) } });
    expect(ok.connected).toBe(true);
    ok.socket!.close();
  });
});

describe("AUTH_SERVICE_PUBLIC_ORIGIN (behind a proxy)", () => {
  let app: ProtectedApp;
  beforeAll(async () => {
    app = await appWith({ AUTH_SERVICE_PUBLIC_ORIGIN: "https://api.example.com" });
  });

  test("htu must name the public origin, not the address the request arrived at; forwarding headers are not read", async () => {
    const token = await bound();
    expect((await dpopGet(app, token, await client.proof("GET", "https://api.example.com/profile", token))).status).toBe(200);
    expect((await dpopGet(app, token, await client.proof("GET", "HTTPS://API.example.com:443/./profile?x=1", token))).status).toBe(200);
    expect((await dpopGet(app, token, await client.proof("GET", `${app.url}/profile`, token))).status).toBe(401);
    const forwarded = await fetch(`${app.url}/profile`, {
      headers: { authorization: `DPoP ${token}`, dpop: await client.proof("GET", "https://evil.example.com/profile", token), "x-forwarded-host": "evil.example.com" },
    });
    expect(forwarded.status).toBe(401);
    const socket = await connectSocket(app.url, "/chat", { auth: { token, dpop: await client.proof("GET", "https://api.example.com/chat", token) } });
    expect(socket.connected).toBe(true);
    socket.socket!.close();
  });
});
