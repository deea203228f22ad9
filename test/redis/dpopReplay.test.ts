import { afterAll, afterEach, beforeAll, expect, test } from "@jest/globals";
import { calculateJwkThumbprint } from "jose";
import { createOidcContainer, createOidcLogger, TOKENS, type AuthPipeline } from "../../src/index.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { httpCredential } from "../../src/transport/credentials.js";
import { describeWithRedis } from "../fixtures/describeWithRedis.js";
import { goodParts, rawKey, rawProof } from "../fixtures/dpopProofs.js";
import { RedisServer } from "../fixtures/redisServer.js";
import { storeNodes } from "../fixtures/redisStores.js";

// DPoP proofs are single-use across nodes when the nodes share the Redis store: two pipelines (two containers, as
// two processes would have), each with its own RedisRevocationStore client on one redis-server.
const TARGET = { method: "GET", protocol: "https", host: "api.example.com", path: "/profile" };
let redis: RedisServer;
let issuer: TestIssuer;
const nodes = storeNodes(() => redis.url);

describeWithRedis("DPoP replay across nodes (RedisRevocationStore.claimOnce)", () => {
  beforeAll(async () => {
    redis = await RedisServer.start();
    issuer = await TestIssuer.start({ alg: "ES256" });
  });
  afterEach(() => nodes.closeAll());
  afterAll(async () => {
    await issuer?.close();
    await redis?.stop();
  });

  async function pipelineOn(): Promise<AuthPipeline> {
    const { store } = await nodes.node({ keyPrefix: "dpop-test:" });
    const container = createOidcContainer();
    container.register(TOKENS.Environment, { useValue: issuer.env() });
    container.register(TOKENS.Logger, { useValue: createOidcLogger(undefined, "silent") });
    container.register(TOKENS.RevocationStore, { useValue: store });
    container.register(TOKENS.AppHandle, { useValue: {} });
    return container.resolve(TOKENS.AuthPipeline);
  }

  test("a proof accepted by node A is refused by node B as a replay; a fresh one is accepted by B", async () => {
    const [a, b] = [await pipelineOn(), await pipelineOn()];
    const key = rawKey();
    const token = await issuer.mint({ sub: "alice", cnf: { jkt: await calculateJwkThumbprint(key.jwk as never) } });
    const proofFor = () => {
      const { header, payload } = goodParts(key, "GET", "https://api.example.com/profile", token);
      return rawProof(key, header, payload);
    };
    const send = (pipeline: AuthPipeline, proof: string) =>
      pipeline.authenticateRequest(() => httpCredential({ headers: { authorization: `DPoP ${token}`, dpop: proof }, rawHeaders: [] }, () => TARGET), "http");
    const proof = proofFor();
    await expect(send(a, proof)).resolves.toMatchObject({ context: { sub: "alice" } });
    await expect(send(b, proof)).rejects.toMatchObject({ code: "ERR_AUTH_TOKEN_INVALID", authError: "invalid_dpop_proof", message: "The DPoP proof was already used" });
    await expect(send(b, proofFor())).resolves.toMatchObject({ context: { sub: "alice" } });
  });
});
