import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { scopeFor } from "../../src/container.js";
import { createOidcContainer, ERR_AUTH_MISCONFIGURED, revoke, TOKENS } from "../../src/index.js";
import { bindRedisRevocationStore, RedisRevocationStore } from "../../src/redis/index.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { captureLogger } from "../fixtures/doubles.js";
import { describeWithRedis } from "../fixtures/describeWithRedis.js";
import { RedisServer } from "../fixtures/redisServer.js";
import { testClient } from "../fixtures/redisStores.js";

let redis: RedisServer;
let issuer: TestIssuer;

describeWithRedis("bindRedisRevocationStore(container, { client })", () => {
  beforeAll(async () => {
    [redis, issuer] = await Promise.all([RedisServer.start(), TestIssuer.start({ alg: "EdDSA" })]);
  });
  afterAll(async () => {
    await issuer?.close();
    await redis?.stop();
  });

  test("binds a started store as TOKENS.RevocationStore: revoke() on one container is refused by another's pipeline", async () => {
    const clients = [testClient(redis.url), testClient(redis.url)];
    await Promise.all(clients.map((c) => c.connect()));
    const containers = clients.map((client) => {
      const container = createOidcContainer();
      container.register(TOKENS.Environment, { useValue: issuer.env({ AUTH_SERVICE_REVOCATION_STALE_POLICY: "serve" }) });
      container.register(TOKENS.Logger, { useValue: captureLogger().logger });
      return { container, store: bindRedisRevocationStore(container, { client, keyPrefix: "bind:" }) };
    });
    try {
      const [one, two] = containers as [(typeof containers)[0], (typeof containers)[0]];
      expect(two.container.resolve(TOKENS.RevocationStore)).toBe(two.store);
      expect(two.store).toBeInstanceOf(RedisRevocationStore);
      await Promise.all([one.store.start(), two.store.start()]);
      const token = await issuer.mint({ sub: "zoe" });
      // What a middleware resolves for one IOServer (no appHandle users: the token is the identity).
      const pipeline = scopeFor(two.container, {}).resolve(TOKENS.AuthPipeline);
      await expect(pipeline.authenticateRequest(() => token, "http")).resolves.toBeDefined();

      const heard = new Promise((resolve) => two.store.onRevoked(resolve));
      await revoke({ sub: "zoe" }, { container: one.container });
      await heard;

      await expect(pipeline.authenticateRequest(() => token, "http")).rejects.toMatchObject({ code: "ERR_AUTH_TOKEN_INVALID", message: "The access token has been revoked" });
    } finally {
      for (const { store } of containers) await store.close();
      for (const client of clients) client.destroy();
    }
  });

  test("an invalid AUTH_SERVICE_REVOCATION_* setting is ERR_AUTH_MISCONFIGURED at bind time, naming the variable", () => {
    const container = createOidcContainer();
    container.register(TOKENS.Environment, { useValue: issuer.env({ AUTH_SERVICE_REVOCATION_STALE_POLICY: "sometimes" }) });
    const client = testClient(redis.url);
    expect(() => bindRedisRevocationStore(container, { client })).toThrow(expect.objectContaining({ code: ERR_AUTH_MISCONFIGURED, message: expect.stringContaining("AUTH_SERVICE_REVOCATION_STALE_POLICY") }));
  });
});
