import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { TOKENS, createOidcLogger, type AuthRefreshAck } from "../../src/index.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { LiveSocketSessions } from "../../src/transport/socketSession.js";
import { attachAuth } from "../../src/transport/authState.js";
import { ChatService, connectSocket, emitWithAck } from "../fixtures/app.js";
import { FakeSocket } from "../fixtures/fakeSocket.js";
import { pause, startLiveApp, type LiveApp } from "../fixtures/live.js";

// Connect → refresh → disconnect, many times: afterwards no expiry timer and
// no registration may be left. 10,000 cycles run over real Socket.IO
// connections (about 15 s on a busy 2-core machine), and 10,000 more
// through the session lifecycle alone with in-memory sockets but the real
// pipeline (JWKS over HTTP, provisioner, registrar). Both also check that
// the timers did exist while the sockets were open.

const FAKE_CYCLES = 10_000;
const FAKE_BATCH = 100;
const REAL_CYCLES = 10_000;
const REAL_BATCH = 50;

let issuer: TestIssuer;
let app: LiveApp;

const activeTimeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

/**
 * The process-wide Timeout count once transient timers are gone: the lowest
 * of ten samples 20 ms apart. Jest's reporter and the HTTP client arm
 * short-lived timers of their own in this process, which one sample may catch.
 */
async function settledTimeouts(): Promise<number> {
  let lowest = Infinity;
  for (let i = 0; i < 10; i++) {
    lowest = Math.min(lowest, activeTimeouts());
    await pause(20);
  }
  return lowest;
}

/** Polls `condition` every 10 ms for at most `ms`. */
async function until(condition: () => boolean, ms = 5000): Promise<void> {
  for (let waited = 0; !condition() && waited < ms; waited += 10) await pause(10);
}

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "EdDSA" });
  app = await startLiveApp(issuer, {}, (server, oidc) => {
    server.addService({ name: "chat", service: ChatService, middlewares: [oidc.OidcSocketMiddleware] });
  });
});

afterAll(async () => {
  await app.stop();
  await issuer.close();
});

test(`${FAKE_CYCLES} connect/refresh/disconnect cycles through the session lifecycle leave no timer and no registration`, async () => {
  const pipeline = app.container.resolve(TOKENS.AuthPipeline);
  const sessions = new LiveSocketSessions({
    pipeline,
    registrar: app.registrar,
    config: app.container.resolve(TOKENS.ConfigService),
    clock: app.clock,
    logger: createOidcLogger(undefined, "silent"),
    servers: { add: () => undefined },
    revocations: app.container.resolve(TOKENS.RevocationStore),
  });
  const [first, renewed] = await Promise.all([issuer.mint({ sub: "cycler" }), issuer.mint({ sub: "cycler", permissions: ["renewed"] })]);
  await pipeline.authenticateRequest(() => first, "socket"); // warm the key set before counting timers
  const timersBefore = await settledTimeouts();
  const registeredBefore = app.registrar.registered;
  let peakTimers = 0;

  for (let done = 0; done < FAKE_CYCLES; done += FAKE_BATCH) {
    const sockets = await Promise.all(
      Array.from({ length: FAKE_BATCH }, async () => {
        const socket = new FakeSocket();
        const auth = await pipeline.authenticateRequest(() => first, "socket");
        attachAuth(socket, auth);
        sessions.open(socket, auth);
        return socket;
      }),
    );
    peakTimers = Math.max(peakTimers, activeTimeouts());
    const acks = await Promise.all(sockets.map((socket) => new Promise<AuthRefreshAck>((resolve) => socket.receive("auth:refresh", renewed, resolve))));
    expect(acks.every((ack) => ack.ok)).toBe(true);
    for (const socket of sockets) socket.drop();
  }
  await until(() => app.registrar.live.size === 0);
  const timersAfter = await settledTimeouts();

  // The expiry timer did exist while the sockets were open, one for all of them rather than one per socket...
  expect(peakTimers).toBeGreaterThanOrEqual(timersBefore + 1);
  expect(peakTimers).toBeLessThan(timersBefore + FAKE_BATCH);
  // ...and none is left, nor any registration.
  expect(timersAfter).toBe(timersBefore);
  expect(app.registrar.live.size).toBe(0);
  expect(app.registrar.registered - registeredBefore).toBe(FAKE_CYCLES);
}, 60_000);

test(`${REAL_CYCLES} real Socket.IO connect/refresh/disconnect cycles leave no timer and no registration`, async () => {
  const [token, renewed] = await Promise.all([issuer.mint({ sub: "real" }), issuer.mint({ sub: "real", permissions: ["renewed"] })]);
  // One warm-up cycle so lazily created, long-lived timers exist before counting.
  (await connectSocket(app.url, "/chat", { auth: { token } })).socket?.close();
  await until(() => app.registrar.live.size === 0);
  const timersBefore = await settledTimeouts();
  const registeredBefore = app.registrar.registered;
  let peakTimers = 0;

  for (let done = 0; done < REAL_CYCLES; done += REAL_BATCH) {
    const outcomes = await Promise.all(Array.from({ length: REAL_BATCH }, () => connectSocket(app.url, "/chat", { auth: { token } })));
    const sockets = outcomes.map((o) => o.socket!);
    peakTimers = Math.max(peakTimers, activeTimeouts());
    const acks = await Promise.all(sockets.map((s) => emitWithAck<AuthRefreshAck>(s, "auth:refresh", renewed)));
    expect(acks.every((ack) => ack.ok)).toBe(true);
    for (const socket of sockets) socket.close();
  }
  await until(() => app.registrar.live.size === 0);
  const timersAfter = await settledTimeouts();

  expect(peakTimers).toBeGreaterThanOrEqual(timersBefore + REAL_BATCH);
  expect(timersAfter).toBe(timersBefore);
  expect(app.registrar.live.size).toBe(0);
  expect(app.registrar.registered - registeredBefore).toBe(REAL_CYCLES);
}, 120_000);
