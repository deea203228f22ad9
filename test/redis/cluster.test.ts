import { afterAll, beforeAll, expect, test } from "@jest/globals";
import type { Socket as ClientSocket } from "socket.io-client";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { logoutToken } from "../fixtures/logoutApp.js";
import { connectSocket } from "../fixtures/app.js";
import { nextEvent, recordEvents } from "../fixtures/live.js";
import { NodeProcess } from "../fixtures/redisCluster.js";
import { describeWithRedis } from "../fixtures/describeWithRedis.js";
import { RedisServer } from "../fixtures/redisServer.js";

let redis: RedisServer;
let issuer: TestIssuer;
let a: NodeProcess;
let b: NodeProcess;
/** A node that refuses as soon as it is out of sync (AUTH_SERVICE_REVOCATION_MAX_STALENESS=0, policy refuse). */
let strict: NodeProcess;
const open: ClientSocket[] = [];

async function get(node: NodeProcess, token: string): Promise<string> {
  const res = await fetch(`${node.url}/profile`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { code?: string };
  return res.ok ? "200" : `${res.status} ${body.code}`;
}

/** Polls until `node` answers `expected` for `token` (bounded): propagation is asynchronous, never timed here. */
async function answers(node: NodeProcess, token: string, expected: string, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last: string;
  while ((last = await get(node, token)) !== expected) {
    if (Date.now() > deadline) throw new Error(`${what}: node ${node.name} still answers ${last}, not ${expected}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function socketOn(node: NodeProcess, token: string): Promise<ClientSocket> {
  const outcome = await connectSocket(node.url, "/chat", { auth: { token } });
  if (!outcome.socket) throw new Error(`socket refused by ${node.name}: ${outcome.error?.message}`);
  open.push(outcome.socket);
  return outcome.socket;
}

/** The events a client sees until it is disconnected. */
async function cutOff(socket: ClientSocket): Promise<{ events: string[]; reason: string }> {
  const events = recordEvents(socket, ["auth:revoked", "disconnect"]);
  const reason = await nextEvent<string>(socket, "disconnect", 10_000);
  return { events, reason };
}

const mint = (sub: string) => issuer.mint({ sub });

describeWithRedis("two IOServer processes on one redis-server (@socket.io/redis-streams-adapter)", () => {
  beforeAll(async () => {
    [redis, issuer] = await Promise.all([RedisServer.start(), TestIssuer.start({ alg: "EdDSA" })]);
    const env = { ...issuer.env(), REDIS_URL: redis.url };
    [a, b, strict] = await Promise.all([
      NodeProcess.start("A", env),
      NodeProcess.start("B", env),
      NodeProcess.start("C", { ...env, AUTH_SERVICE_REVOCATION_MAX_STALENESS: "0", AUTH_SERVICE_REVOCATION_STALE_POLICY: "refuse" }),
    ]);
  }, 60_000);

  afterAll(async () => {
    for (const socket of open.splice(0)) socket.close();
    await Promise.all([a?.stop(), b?.stop(), strict?.stop()]);
    await issuer?.close();
    await redis?.stop();
  }, 30_000);

  test("revoke on node A: node B refuses the user's HTTP requests and drops their socket; other users are untouched", async () => {
    const [bob, carol] = await Promise.all([mint("bob"), mint("carol")]);
    expect([await get(a, bob), await get(b, bob)]).toEqual(["200", "200"]);
    const [bobOnB, carolOnB] = [await socketOn(b, bob), await socketOn(b, carol)];
    const cut = cutOff(bobOnB);

    await a.request({ type: "revoke", sub: "bob" });

    await answers(b, bob, "401 ERR_AUTH_TOKEN_INVALID", "B refuses bob");
    expect(await get(a, bob)).toBe("401 ERR_AUTH_TOKEN_INVALID");
    expect(await cut).toEqual({ events: ["auth:revoked", "disconnect"], reason: "io server disconnect" });
    expect(await get(b, carol)).toBe("200");
    expect(carolOnB.connected).toBe(true);
    // A revoked user's new handshake is refused on B too.
    expect(await connectSocket(b.url, "/chat", { auth: { token: bob } })).toMatchObject({ connected: false, error: { message: "ERR_AUTH_TOKEN_INVALID" } });
  });

  test("a back-channel logout posted to node A ends the session on node B; the same logout token replayed on B is refused", async () => {
    const [inSession, otherSession] = [await issuer.mint({ sub: "ivan", sid: "sess-1" }), await issuer.mint({ sub: "ivan", sid: "sess-2" })];
    const onB = await socketOn(b, inSession);
    const cut = cutOff(onB);
    const logout = await logoutToken(issuer, { sub: undefined, sid: "sess-1" });
    const post = (node: NodeProcess) =>
      fetch(`${node.url}/oidc/backchannel-logout`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ logout_token: logout }).toString() });

    expect((await post(a)).status).toBe(200);

    await answers(b, inSession, "401 ERR_AUTH_TOKEN_INVALID", "B refuses the logged-out session");
    expect(await cut).toEqual({ events: ["auth:revoked", "disconnect"], reason: "io server disconnect" });
    expect(await get(b, otherSession)).toBe("200");
    // The logout token's jti was claimed through Redis: a replay on another node is refused.
    const replay = await post(b);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: "invalid_request", error_description: expect.stringMatching(/replay|already/i) });
  });

  test("live sockets through the adapter: the session revoker on A runs io.in(room).disconnectSockets() and B's socket is cut", async () => {
    const dave = await mint("dave");
    const daveOnB = await socketOn(b, dave);
    const cut = cutOff(daveOnB);
    await a.request({ type: "revokeSockets", sub: "dave" });
    expect(await cut).toEqual({ events: ["auth:revoked", "disconnect"], reason: "io server disconnect" });
  });

  test("redis-server SIGKILLed under load and restarted on the same port: nothing lost, nothing crashes, a node past its staleness answers 503", async () => {
    const [steady, erin, frank, grace, heidi] = [await mint("steady"), await mint("erin"), await mint("frank"), await mint("grace"), await mint("heidi")];
    await a.request({ type: "revoke", sub: "erin" });
    await answers(b, erin, "401 ERR_AUTH_TOKEN_INVALID", "B refuses erin before the crash");

    // A bounded load on both nodes for the whole outage: 4 loops, at most 1500 requests each.
    let loading = true;
    const statuses = new Map<string, number>();
    const loops = Array.from({ length: 4 }, async (_, i) => {
      for (let n = 0; loading && n < 1500; n += 1) {
        const status = await get(n % 2 === 0 ? a : b, i % 2 === 0 ? steady : erin).catch((error: Error) => `error ${error.name}`);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    });

    const killedAt = Date.now();
    await redis.kill();
    await eventually(async () => !(await a.status()).synchronized && !(await b.status()).synchronized, "both nodes to notice the outage");
    // Past its staleness (0 s here; 60 s by default) a node with policy refuse answers 503, not a possibly stale 200.
    await eventually(async () => !(await strict.status()).synchronized, "node C to notice the outage");
    const refused = await fetch(`${strict.url}/profile`, { headers: { authorization: `Bearer ${steady}` }, signal: AbortSignal.timeout(5000) });
    expect([refused.status, ((await refused.json()) as { code: string }).code, refused.headers.get("retry-after")]).toEqual([503, "ERR_AUTH_UNAVAILABLE", "5"]);

    // During the outage: the revoking caller learns the revocation did not propagate; A enforces it at once.
    await expect(a.request({ type: "revoke", sub: "frank" })).rejects.toThrow("ERR_AUTH_UNAVAILABLE");
    expect(await get(a, frank)).toBe("401 ERR_AUTH_TOKEN_INVALID");
    expect(await get(b, erin)).toBe("401 ERR_AUTH_TOKEN_INVALID");

    await redis.restart();
    await eventually(async () => (await a.status()).synchronized && (await b.status()).synchronized, "both nodes back in sync");
    await answers(strict, steady, "200", "node C serves again once back in sync");
    const recoveredAt = Date.now();

    // Nothing lost: A wrote its outage revocation back, and the pre-crash one survived the empty restart.
    await answers(b, frank, "401 ERR_AUTH_TOKEN_INVALID", "B refuses frank after the restart");
    expect(await get(b, erin)).toBe("401 ERR_AUTH_TOKEN_INVALID");
    // Revocations and the socket adapter work again after the restart.
    await b.request({ type: "revoke", sub: "grace" });
    await answers(a, grace, "401 ERR_AUTH_TOKEN_INVALID", "A refuses grace, revoked on B after the restart");
    const heidiOnB = await socketOn(b, heidi);
    const cut = cutOff(heidiOnB);
    await eventually(async () => {
      await a.request({ type: "revokeSockets", sub: "heidi" });
      return !heidiOnB.connected;
    }, "the adapter to carry a disconnect after the restart");
    expect((await cut).events).toEqual(["auth:revoked", "disconnect"]);

    loading = false;
    await Promise.all(loops);
    // Under load through the outage: only the two expected answers, never a 5xx or a dropped connection.
    expect([...statuses.keys()].sort()).toEqual(["200", "401 ERR_AUTH_TOKEN_INVALID"]);
    for (const node of [a, b, strict]) {
      expect(node.alive).toBe(true);
      expect(node.stderr).not.toMatch(/UNHANDLED|UNCAUGHT/);
      // One warning for this outage, however many errors node-redis reported while reconnecting.
      const warnings = node.logs().filter((r) => String(r.msg).startsWith("revocations: Redis unreachable") && Number(r.time) >= killedAt && Number(r.time) <= recoveredAt);
      expect(warnings).toHaveLength(1);
    }
  }, 60_000);
});
