import { afterAll, afterEach, beforeAll, expect, test } from "@jest/globals";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { OIDC_CHANNELS } from "../../src/index.js";
import { describeWithRedis } from "../fixtures/describeWithRedis.js";
import { RedisServer } from "../fixtures/redisServer.js";
import { storeNodes } from "../fixtures/redisStores.js";

// The revocation channel with the Redis store: every node publishes the
// revocations it learns of, its own and those made on other nodes.

let redis: RedisServer;
const nodes = storeNodes(() => redis.url);

describeWithRedis("ioserver-oidc:revocation with the Redis store", () => {
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterEach(() => nodes.closeAll());
  afterAll(() => redis?.stop());

  test("a revocation added on node A is published on A at once and on B when B hears of it; never the id", async () => {
    const opts = { keyPrefix: "diagnostics:" };
    const [a, b] = [await nodes.node(opts), await nodes.node(opts)];
    const seen: unknown[] = [];
    const listener = (message: unknown) => void seen.push(message);
    subscribe(OIDC_CHANNELS.revocation, listener);
    try {
      const heardOnB = b.nextRevoked();
      await a.store.add({ kind: "sid", iss: "https://auth.example.com", sid: "session-7", expiresAt: Date.now() + 3_600_000 });
      expect(seen).toEqual([{ kind: "sid", iss: "https://auth.example.com" }]);
      await heardOnB;
      expect(seen).toEqual([
        { kind: "sid", iss: "https://auth.example.com" },
        { kind: "sid", iss: "https://auth.example.com" },
      ]);
    } finally {
      unsubscribe(OIDC_CHANNELS.revocation, listener);
    }
  });
});
