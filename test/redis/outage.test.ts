import { afterAll, afterEach, beforeAll, expect, test } from "@jest/globals";
import { ERR_AUTH_UNAVAILABLE } from "../../src/index.js";
import type { Revocation } from "../../src/services/sessions/RevocationStore.js";
import { manualClock, waitFor } from "../fixtures/doubles.js";
import { describeWithRedis } from "../fixtures/describeWithRedis.js";
import { RedisServer } from "../fixtures/redisServer.js";
import { storeNodes } from "../fixtures/redisStores.js";

const ISS = "https://auth.example.com";
const inAnHour = () => Date.now() + 3_600_000;
const jti = (id: string): Revocation => ({ kind: "jti", iss: ISS, jti: id, expiresAt: inAnHour() });
const claims = (id: string) => ({ iss: ISS, sub: "bob", jti: id });

let redis: RedisServer;
const nodes = storeNodes(() => redis.url);
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

describeWithRedis("Redis killed (SIGKILL) and restarted empty on the same port", () => {
  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    await nodes.closeAll();
    expect(unhandled).toEqual([]);
  });
  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    await redis?.stop();
  });

  test("nodes keep what they knew, warn once, refuse to pretend an add() propagated, and catch up by themselves; nothing is lost", async () => {
    const [a, b] = [await nodes.node(), await nodes.node()];
    const heard = b.nextRevoked();
    await a.store.add(jti("before-crash"));
    await heard;

    await redis.kill();
    await waitFor(() => !a.store.synchronized && !b.store.synchronized, 5000, "both nodes to notice the outage");

    // Known revocations still hold, unknown tokens still pass (within the staleness window).
    expect(b.store.isRevoked(claims("before-crash"), Date.now())).toBe(true);
    expect(b.store.isRevoked(claims("other"), Date.now())).toBe(false);
    // The revoking caller learns the revocation did not propagate; this node enforces it anyway.
    await expect(a.store.add(jti("during-outage"))).rejects.toMatchObject({ code: ERR_AUTH_UNAVAILABLE, statusCode: 503 });
    expect(a.store.isRevoked(claims("during-outage"), Date.now())).toBe(true);
    await expect(a.store.claimOnce("logout", "x", inAnHour())).rejects.toMatchObject({ code: ERR_AUTH_UNAVAILABLE });

    await redis.restart();
    await waitFor(() => a.store.synchronized && b.store.synchronized, 10_000, "both nodes back in sync");

    // A wrote back what the empty Redis lacked: B now enforces the revocation made during the outage…
    await waitFor(() => b.store.isRevoked(claims("during-outage"), Date.now()), 5000, "B to learn the outage revocation");
    // …and a node that starts now learns both, from Redis alone.
    const late = await nodes.node();
    expect(late.store.isRevoked(claims("before-crash"), Date.now())).toBe(true);
    expect(late.store.isRevoked(claims("during-outage"), Date.now())).toBe(true);
    // After recovery, revocations flow again.
    const next = a.nextRevoked();
    await b.store.add(jti("after-restart"));
    expect(await next).toMatchObject({ jti: "after-restart" });

    for (const node of [a, b]) {
      const warnings = node.logs.records().filter((r) => r.level === 40 && String(r.msg).startsWith("revocations: Redis unreachable"));
      expect(warnings).toHaveLength(1);
      expect(node.logs.records().some((r) => r.msg === "revocations: back in sync with Redis")).toBe(true);
    }
  });

  test("a blip of the command connection alone is one outage too: once it is back, the next outage warns again", async () => {
    const a = await nodes.node();
    const unreachable = () => a.logs.records().filter((r) => r.level === 40 && String(r.msg).startsWith("revocations: Redis unreachable")).length;
    const id = String(await a.client.sendCommand(["CLIENT", "ID"]));
    const admin = a.client.duplicate();
    admin.on("error", () => undefined);
    await admin.connect();
    try {
      await admin.sendCommand(["CLIENT", "KILL", "ID", id]);
      await waitFor(() => a.logs.records().some((r) => r.msg === "revocations: Redis reachable again"), 5000, "the client to reconnect");
      expect(unreachable()).toBe(1);
      // The subscription never dropped: still in sync, and revocations still flow.
      expect(a.store.synchronized).toBe(true);
      await a.store.add(jti("after-blip"));
    } finally {
      admin.destroy();
    }
    await redis.kill();
    await waitFor(() => unreachable() === 2, 5000, "a warning for the real outage");
    await redis.restart();
    await waitFor(() => a.store.synchronized, 10_000, "the node back in sync");
  });

  test.each([
    ["refuse", "refused (503)", true],
    ["serve", "still served", false],
  ] as const)("past AUTH_SERVICE_REVOCATION_MAX_STALENESS, policy %s: unknown tokens are %s; known revocations are always refused", async (stalePolicy, _outcome, refuses) => {
    const clock = manualClock(Date.now());
    const a = await nodes.node({ clock, stalePolicy, maxStalenessSeconds: 30 });
    await a.store.add(jti("known"));
    await redis.kill();
    await waitFor(() => !a.store.synchronized, 5000, "the node to notice the outage");

    clock.advance(29_000);
    expect(a.store.isRevoked(claims("unknown"), clock.now())).toBe(false);
    clock.advance(2_000);
    if (refuses) expect(() => a.store.isRevoked(claims("unknown"), clock.now())).toThrow(expect.objectContaining({ code: ERR_AUTH_UNAVAILABLE, statusCode: 503 }));
    else expect(a.store.isRevoked(claims("unknown"), clock.now())).toBe(false);
    expect(a.store.isRevoked(claims("known"), clock.now())).toBe(true);

    await redis.restart();
    await waitFor(() => a.store.synchronized, 10_000, "the node back in sync");
    expect(a.store.isRevoked(claims("unknown"), clock.now())).toBe(false);
  });
});
