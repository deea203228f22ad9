import { afterAll, beforeAll, expect, test } from "@jest/globals";
import type { Socket as ClientSocket } from "socket.io-client";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { connectSocket } from "../fixtures/app.js";
import { nextEvent, recordEvents } from "../fixtures/live.js";
import { NodeProcess } from "../fixtures/redisCluster.js";
import { describeWithRedis } from "../fixtures/describeWithRedis.js";
import { RedisServer } from "../fixtures/redisServer.js";

// The classic pub/sub adapter works with the package too; docs/several-nodes.md says why the streams adapter is the recommendation.
let redis: RedisServer;
let issuer: TestIssuer;
let c: NodeProcess;
let d: NodeProcess;
const open: ClientSocket[] = [];

describeWithRedis("two IOServer processes with @socket.io/redis-adapter (pub/sub)", () => {
  beforeAll(async () => {
    [redis, issuer] = await Promise.all([RedisServer.start(), TestIssuer.start({ alg: "EdDSA" })]);
    const env = { ...issuer.env(), REDIS_URL: redis.url, ADAPTER: "pubsub" };
    [c, d] = await Promise.all([NodeProcess.start("C", env), NodeProcess.start("D", env)]);
  }, 60_000);

  afterAll(async () => {
    for (const socket of open.splice(0)) socket.close();
    await Promise.all([c?.stop(), d?.stop()]);
    await issuer?.close();
    await redis?.stop();
  }, 30_000);

  test.each([
    ["the session revoker (io.in(room).disconnectSockets() through the adapter)", "revokeSockets"],
    ["a revocation in the shared store", "revoke"],
  ] as const)("%s on node C cuts the user's socket on node D", async (_how, type) => {
    const sub = `user-${type}`;
    const outcome = await connectSocket(d.url, "/chat", { auth: { token: await issuer.mint({ sub }) } });
    if (!outcome.socket) throw new Error(`refused: ${outcome.error?.message}`);
    open.push(outcome.socket);
    const events = recordEvents(outcome.socket, ["auth:revoked", "disconnect"]);
    const reason = nextEvent<string>(outcome.socket, "disconnect", 10_000);
    await c.request({ type, sub });
    expect(await reason).toBe("io server disconnect");
    expect(events).toEqual(["auth:revoked", "disconnect"]);
  });
});
