import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import { io, type Socket as ClientSocket } from "socket.io-client";
import { keepSocketAuthenticated, type SocketAuthHandle } from "../../src/client/index.js";
import { TOKENS } from "../../src/index.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { ChatService, emitWithAck } from "../fixtures/app.js";
import { nextEvent, pause, startLiveApp, type LiveApp } from "../fixtures/live.js";
import { dpopClient, type DpopClient } from "../fixtures/dpopProofs.js";

// Real IOServer, real expiring tokens, real timers: tokens live a few seconds,
// and the server is told to cut sockets at exp exactly (no clock tolerance).

let issuer: TestIssuer;
let app: LiveApp;
const sockets: ClientSocket[] = [];
const handles: SocketAuthHandle[] = [];

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256" });
  app = await startLiveApp(issuer, { AUTH_SERVICE_CLOCK_TOLERANCE: "0" }, (server, oidc) => {
    server.addService({ name: "chat", service: ChatService, middlewares: [oidc.OidcSocketMiddleware] });
  });
});

afterEach(() => {
  for (const handle of handles.splice(0)) handle.stop();
  for (const socket of sockets.splice(0)) socket.close();
  app.clock.offsetMs = 0;
});

afterAll(async () => {
  await app.stop();
  await issuer.close();
});

/** A socket that is not connected yet, as the helper wants it. */
function socketFor(namespace = "/chat"): ClientSocket {
  const socket = io(`${app.url}${namespace}`, { autoConnect: false, transports: ["websocket"], forceNew: true, reconnection: false });
  sockets.push(socket);
  return socket;
}

function keep(socket: ClientSocket, options: Parameters<typeof keepSocketAuthenticated>[1]): SocketAuthHandle {
  const handle = keepSocketAuthenticated(socket, options);
  handles.push(handle);
  return handle;
}

/** Counts `connect` events on a socket. */
function countConnects(socket: ClientSocket): { readonly count: number } {
  const counter = { count: 0 };
  socket.on("connect", () => (counter.count += 1));
  return counter;
}

/** Records the events the client sends with `socket.timeout(ms).emitWithAck` (how the helper sends auth:refresh). */
function recordAckedEmits(socket: ClientSocket): string[] {
  const sent: string[] = [];
  const timeout = socket.timeout.bind(socket);
  socket.timeout = (ms: number) => {
    const timed = timeout(ms);
    const emitWithAck = timed.emitWithAck.bind(timed);
    timed.emitWithAck = ((event: string, ...args: unknown[]) => (sent.push(event), emitWithAck(event, ...args))) as typeof timed.emitWithAck;
    return timed;
  };
  return sent;
}

const whoami = (socket: ClientSocket) => emitWithAck<{ sub: string }>(socket, "whoami");

describe("keepSocketAuthenticated", () => {
  test("refreshes in-band before exp, so the socket outlives its first token without a reconnect", async () => {
    const issued: string[] = [];
    const socket = socketFor();
    const connects = countConnects(socket);
    const expired: unknown[] = [];
    socket.on("auth:expired", (notice) => expired.push(notice));
    keep(socket, {
      refreshBeforeSeconds: 2,
      getToken: async () => {
        const token = await issuer.mint({ sub: "alice" }, { expiresIn: 3 });
        issued.push(token);
        return token;
      },
    });
    socket.connect();
    await nextEvent(socket, "connect");
    await pause(4500); // past the first token's exp (at most 3 s after it was minted)
    expect(socket.connected).toBe(true);
    expect(expired).toEqual([]);
    expect(connects.count).toBe(1);
    expect(issued.length).toBeGreaterThanOrEqual(3); // the handshake, then at least two refreshes
    await expect(whoami(socket)).resolves.toMatchObject({ sub: "alice" });
  });

  test("after a refused refresh it reconnects with a new token, and reports the refusal", async () => {
    const errors: (Error & { code?: string })[] = [];
    let calls = 0;
    const socket = socketFor();
    const connects = countConnects(socket);
    keep(socket, {
      refreshBeforeSeconds: 2,
      onError: (error) => errors.push(error),
      // The second token (the first refresh) belongs to another subject: the server refuses it.
      getToken: () => issuer.mint({ sub: ++calls === 2 ? "mallory" : "alice" }, { expiresIn: calls === 1 ? 3 : 300 }),
    });
    socket.connect();
    await nextEvent(socket, "connect");
    await nextEvent(socket, "connect", 5000); // the reconnection
    expect(errors.map((e) => e.code)).toEqual(["ERR_AUTH_TOKEN_INVALID"]);
    expect(connects.count).toBe(2);
    await expect(whoami(socket)).resolves.toMatchObject({ sub: "alice" });
  });

  test("after auth:expired it reconnects with a new token, and drops the refresh that came too late", async () => {
    let calls = 0;
    const socket = socketFor();
    const sentEvents = recordAckedEmits(socket);
    const connects = countConnects(socket);
    const expired = nextEvent(socket, "auth:expired", 6000);
    keep(socket, {
      refreshBeforeSeconds: 2,
      // The refresh's token (call 2) arrives only after the server cut the socket at exp.
      getToken: async () => {
        const call = ++calls;
        if (call === 2) await pause(3500);
        return issuer.mint({ sub: "alice" }, { expiresIn: call === 1 ? 3 : 300 });
      },
    });
    socket.connect();
    await nextEvent(socket, "connect");
    await expired;
    await nextEvent(socket, "connect", 5000);
    expect(connects.count).toBe(2);
    await pause(3000); // the late refresh token has arrived by now, and must not have been sent
    expect(calls).toBe(3);
    expect(sentEvents).toEqual([]);
    await expect(whoami(socket)).resolves.toMatchObject({ sub: "alice" });
  });

  test("on auth:revoked it stops for good: no reconnection, onRevoked called once", async () => {
    const revoked: unknown[] = [];
    const socket = socketFor();
    const connects = countConnects(socket);
    const handle = keep(socket, { getToken: () => issuer.mint({ sub: "bob" }), onRevoked: (notice) => revoked.push(notice) });
    socket.connect();
    await nextEvent(socket, "connect");
    const disconnected = nextEvent(socket, "disconnect");
    await app.container.resolve(TOKENS.SessionRevoker).revoke({ sub: "bob" }, { message: "bye" });
    await disconnected;
    await pause(500);
    expect(revoked).toEqual([{ message: "bye" }]);
    expect(handle.stopped).toBe(true);
    expect(socket.connected).toBe(false);
    expect(connects.count).toBe(1);
  });

  test("a getToken that throws is reported and the handshake carries no token (ERR_AUTH_TOKEN_REQUIRED)", async () => {
    const errors: Error[] = [];
    const socket = socketFor();
    keep(socket, { getToken: () => Promise.reject(new Error("offline")), onError: (e) => errors.push(e) });
    socket.connect();
    const refusal = await nextEvent<Error & { data?: { code?: string } }>(socket, "connect_error");
    expect(refusal.message).toBe("ERR_AUTH_TOKEN_REQUIRED");
    expect(errors.map((e) => e.message)).toEqual(["offline"]);
  });

  test("stop() ends refreshing: the socket is then cut at exp like any other", async () => {
    let calls = 0;
    const socket = socketFor();
    const handle = keep(socket, { refreshBeforeSeconds: 2, getToken: () => (calls++, issuer.mint({ sub: "carol" }, { expiresIn: 3 })) });
    socket.connect();
    await nextEvent(socket, "connect");
    handle.stop();
    const disconnected = nextEvent(socket, "disconnect", 5000);
    await nextEvent(socket, "auth:expired", 5000);
    await disconnected;
    await pause(300);
    expect(calls).toBe(1);
    expect(socket.connected).toBe(false);
  });

  test("refuses options without getToken", () => {
    expect(() => keepSocketAuthenticated(socketFor(), {} as never)).toThrow(TypeError);
  });
});

describe("keepSocketAuthenticated with DPoP nonces (AUTH_SERVICE_DPOP_NONCE_SECRET)", () => {
  let nonceApp: LiveApp;
  let client: DpopClient;
  beforeAll(async () => {
    client = await dpopClient("ES256");
    nonceApp = await startLiveApp(issuer, { AUTH_SERVICE_CLOCK_TOLERANCE: "0", AUTH_SERVICE_DPOP_NONCE_SECRET: "a-secret-shared-by-every-node-0123456789" }, (server, oidc) => {
      server.addService({ name: "chat", service: ChatService, middlewares: [oidc.OidcSocketMiddleware] });
    });
  });
  afterAll(async () => nonceApp.stop());

  test("a handshake refused with use_dpop_nonce is retried once with the server's nonce, and refreshes carry it", async () => {
    const nonces: (string | undefined)[] = [];
    const errors: Error[] = [];
    const socket = io(`${nonceApp.url}/chat`, { autoConnect: false, transports: ["websocket"], forceNew: true, reconnection: false });
    sockets.push(socket);
    const connects = countConnects(socket);
    keep(socket, {
      refreshBeforeSeconds: 2,
      onError: (error) => errors.push(error),
      getToken: () => issuer.mint({ sub: "dora", cnf: { jkt: client.jkt } }, { expiresIn: 3 }),
      dpopProof: (token, nonce) => {
        nonces.push(nonce);
        return client.proof("GET", `${nonceApp.url}/chat`, token, nonce);
      },
    });
    socket.connect();
    await nextEvent(socket, "connect", 5000);
    // The first proof had no nonce (refused), the retry carried the one the refusal gave.
    expect(nonces.slice(0, 2)).toEqual([undefined, expect.stringMatching(/^[A-Za-z0-9_-]{43}$/)]);
    await pause(3500); // past the first token's exp: the refresh, with the nonce, kept the socket
    expect(socket.connected).toBe(true);
    expect(connects.count).toBe(1);
    expect(nonces.length).toBeGreaterThanOrEqual(3);
    expect(nonces.slice(1).every((nonce) => nonce === nonces[1])).toBe(true);
    expect(errors).toEqual([]);
    await expect(whoami(socket)).resolves.toMatchObject({ sub: "dora" });
  });
});
