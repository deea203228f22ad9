import { afterAll, afterEach, beforeAll, expect, test } from "@jest/globals";
import { ERR_AUTH_UNAVAILABLE, OidcError } from "../../src/index.js";
import type { Revocation } from "../../src/services/sessions/RevocationStore.js";
import { RedisRevocationStore } from "../../src/redis/index.js";
import { captureLogger, manualClock } from "../fixtures/doubles.js";
import { describeWithRedis } from "../fixtures/describeWithRedis.js";
import { RedisServer } from "../fixtures/redisServer.js";
import { storeNodes, testClient } from "../fixtures/redisStores.js";

const ISS = "https://auth.example.com";
const inAnHour = () => Date.now() + 3_600_000;
let redis: RedisServer;
let prefix = 0;
const nodes = storeNodes(() => redis.url);
/** Each test gets its own key prefix: no state leaks between tests sharing the server. */
const fresh = () => ({ keyPrefix: `t${++prefix}:` });

describeWithRedis("RedisRevocationStore on a real redis-server", () => {
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterEach(() => nodes.closeAll());
  afterAll(() => redis?.stop());

  test("a revocation added on node A reaches node B by pub/sub; B answers from its mirror", async () => {
    const opts = fresh();
    const [a, b] = [await nodes.node(opts), await nodes.node(opts)];
    const heardOnB = b.nextRevoked();
    const revocation: Revocation = { kind: "jti", iss: ISS, jti: "token-1", expiresAt: inAnHour() };

    await a.store.add(revocation);

    expect(await heardOnB).toEqual(revocation);
    expect(b.store.isRevoked({ iss: ISS, sub: "bob", jti: "token-1" }, Date.now())).toBe(true);
    expect(b.store.isRevoked({ iss: ISS, sub: "bob", jti: "token-2" }, Date.now())).toBe(false);
    // Same id, other issuer: a different token.
    expect(b.store.isRevoked({ iss: "https://other.example", sub: "bob", jti: "token-1" }, Date.now())).toBe(false);
    // A heard its own revocation once, at add(); its own message coming back is no second event.
    expect(a.heard).toEqual([revocation]);
    expect(b.heard).toEqual([revocation]);
  });

  test("sid, and sub before T: older tokens of the subject are refused, tokens issued at or after T are accepted", async () => {
    const opts = fresh();
    const [a, b] = [await nodes.node(opts), await nodes.node(opts)];
    const before = Math.floor(Date.now() / 1000);
    const both = Promise.all([b.nextRevoked(), b.nextRevoked()]);
    await a.store.add({ kind: "sid", iss: ISS, sid: "session-9", expiresAt: inAnHour() });
    await a.store.add({ kind: "sub", iss: ISS, sub: "carol", before, expiresAt: inAnHour() });
    await both;
    const now = Date.now();
    expect(b.store.isRevoked({ iss: ISS, sub: "dave", sid: "session-9" }, now)).toBe(true);
    expect(b.store.isRevoked({ iss: ISS, sub: "carol", iat: before - 1 }, now)).toBe(true);
    expect(b.store.isRevoked({ iss: ISS, sub: "carol", iat: before }, now)).toBe(false);
    // Without an iat the token cannot show it is newer than the cut-off.
    expect(b.store.isRevoked({ iss: ISS, sub: "carol" }, now)).toBe(true);
    expect(b.store.isRevoked({ iss: ISS, sub: "erin", iat: before - 1 }, now)).toBe(false);
  });

  test("a node that starts later loads every live revocation before start() resolves, and hears of each once", async () => {
    const opts = fresh();
    const a = await nodes.node(opts);
    const added: Revocation[] = [
      { kind: "jti", iss: ISS, jti: "j", expiresAt: inAnHour() },
      { kind: "sid", iss: ISS, sid: "s", expiresAt: inAnHour() },
      { kind: "sub", iss: ISS, sub: "frank", before: 2_000_000_000, expiresAt: inAnHour() },
    ];
    for (const r of added) await a.store.add(r);

    const late = await nodes.node(opts);

    expect(late.store.synchronized).toBe(true);
    expect(late.store.size).toBe(3);
    expect(late.heard).toHaveLength(3);
    expect(late.store.isRevoked({ iss: ISS, sub: "frank", iat: 1_999_999_999 }, Date.now())).toBe(true);
  });

  test("state lives in one sorted set with a TTL: expired members are dropped on the next write, the TTL follows the latest expiry", async () => {
    const opts = fresh();
    const clock = manualClock(Date.now());
    const a = await nodes.node({ ...opts, clock });
    const soon = clock.now() + 60_000;
    const later = clock.now() + 120_000;
    await a.store.add({ kind: "jti", iss: ISS, jti: "short", expiresAt: soon });
    clock.advance(90_000);
    await a.store.add({ kind: "jti", iss: ISS, jti: "long", expiresAt: later });

    const raw = a.client;
    expect(await raw.zRange(`${opts.keyPrefix}revocations`, 0, -1)).toEqual([JSON.stringify(["jti", ISS, "long"])]);
    const asked = Date.now();
    const ttl = await raw.pTTL(`${opts.keyPrefix}revocations`);
    // The key expires with its latest member (PEXPIREAT `later`), give or take a millisecond of rounding.
    expect(ttl).toBeGreaterThan(60_000);
    expect(ttl).toBeLessThanOrEqual(later - asked + 1);
    // The mirror forgets the expired one too.
    expect(a.store.isRevoked({ iss: ISS, sub: "x", jti: "short" }, clock.now())).toBe(false);
    expect(a.store.isRevoked({ iss: ISS, sub: "x", jti: "long" }, clock.now())).toBe(true);
  });

  test("a revocation already past its expiry is not written", async () => {
    const opts = fresh();
    const a = await nodes.node(opts);
    await a.store.add({ kind: "jti", iss: ISS, jti: "old", expiresAt: Date.now() - 1 });
    expect(await a.client.exists(`${opts.keyPrefix}revocations`)).toBe(0);
    expect(a.heard).toEqual([]);
  });

  test("claimOnce is atomic across nodes: the first claim wins, a replay on another node loses, scopes are separate", async () => {
    const opts = fresh();
    const [a, b] = [await nodes.node(opts), await nodes.node(opts)];
    const exp = Date.now() + 120_000;
    const claims = await Promise.all([a.store.claimOnce("logout", "jti-1", exp), b.store.claimOnce("logout", "jti-1", exp)]);
    expect(claims.sort()).toEqual([false, true]);
    expect(await b.store.claimOnce("logout", "jti-1", exp)).toBe(false);
    expect(await b.store.claimOnce("dpop", "jti-1", exp)).toBe(true);
    const ttl = await a.client.pTTL(`${opts.keyPrefix}once:logout:jti-1`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(120_000);
  });

  test("bad arguments are TypeErrors naming the field; nothing is written", async () => {
    const opts = fresh();
    const a = await nodes.node(opts);
    await expect(a.store.add({ kind: "jti", iss: ISS, jti: "", expiresAt: inAnHour() })).rejects.toThrow("revocation.jti must be a non-empty string");
    await expect(a.store.add({ kind: "nope", iss: ISS, expiresAt: 1 } as unknown as Revocation)).rejects.toThrow('revocation.kind must be "jti", "sid" or "sub"');
    await expect(a.store.add({ kind: "sub", iss: ISS, sub: "x", expiresAt: inAnHour() } as unknown as Revocation)).rejects.toThrow("revocation.before must be a finite epoch");
    await expect(a.store.claimOnce("a:b", "x", inAnHour())).rejects.toThrow(TypeError);
    expect(await a.client.exists(`${opts.keyPrefix}revocations`)).toBe(0);
  });

  test("malformed messages on the channel are ignored and reported once; later revocations still arrive", async () => {
    const opts = fresh();
    const b = await nodes.node(opts);
    const publisher = testClient(redis.url);
    await publisher.connect();
    try {
      for (const junk of ["not json", "{}", '[["[\\"jti\\"]", 1]]', '[[42, "x"]]']) await publisher.publish(`${opts.keyPrefix}revoked`, junk);
      const a = await nodes.node(opts);
      const heard = b.nextRevoked();
      await a.store.add({ kind: "jti", iss: ISS, jti: "after-junk", expiresAt: inAnHour() });
      expect(await heard).toMatchObject({ jti: "after-junk" });
      expect(b.heard).toHaveLength(1);
      expect(b.logs.records().filter((r) => String(r.msg).includes("malformed"))).toHaveLength(1);
    } finally {
      publisher.destroy();
    }
  });

  test("a node that never reached Redis refuses with ERR_AUTH_UNAVAILABLE once past its staleness (policy refuse)", async () => {
    const clock = manualClock(Date.now());
    // A port with no server: the store keeps retrying in the background.
    const offline = await RedisServer.start();
    await offline.stop();
    const client = testClient(offline.url);
    client.connect().catch(() => undefined);
    const store = new RedisRevocationStore({ client, clock, maxStalenessSeconds: 30, logger: captureLogger().logger });
    void store.start();
    try {
      expect(store.isRevoked({ iss: ISS, sub: "x" }, clock.now())).toBe(false);
      clock.advance(31_000);
      let error: unknown;
      try {
        store.isRevoked({ iss: ISS, sub: "x" }, clock.now());
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(OidcError);
      expect(error).toMatchObject({ code: ERR_AUTH_UNAVAILABLE, statusCode: 503 });
    } finally {
      await store.close();
      client.destroy();
    }
  });
});
