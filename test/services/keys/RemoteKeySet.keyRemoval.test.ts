import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { afterEach, beforeEach, describe, expect, test } from "@jest/globals";
import { ERR_AUTH_TOKEN_INVALID } from "../../../src/errors.js";
import { systemClock } from "../../../src/services/Clock.js";
import { createOidcLogger } from "../../../src/services/logger.js";
import { RemoteKeySet } from "../../../src/services/keys/RemoteKeySet.js";
import { TestIssuer } from "../../../src/testing/TestIssuer.js";

// How a RemoteKeySet tells its listeners which keys a refresh dropped, and
// how it imports keys for node:crypto. Real JWKS over HTTP.

let issuer: TestIssuer;
let keySet: RemoteKeySet;
let removals: KeyObject[][];

beforeEach(async () => {
  issuer = await TestIssuer.start({ alg: "EdDSA" });
  keySet = new RemoteKeySet({
    uri: issuer.jwksUri,
    timeoutMs: 2000,
    cooldownMs: 0,
    maxAgeMs: 600_000,
    staleMs: 3_600_000,
    clock: systemClock,
    logger: createOidcLogger(undefined, "silent"),
  });
  removals = [];
  keySet.onKeysRemoved((removed) => removals.push([...removed]));
});
afterEach(async () => {
  await issuer.close();
});

const newestKid = () => issuer.kids[issuer.kids.length - 1] ?? "";

describe("RemoteKeySet key removal", () => {
  test("an unchanged key keeps its KeyObject across refreshes, and nobody is told anything", async () => {
    const kid = newestKid();
    const before = await keySet.getKey("EdDSA", kid);
    await issuer.addKey("EdDSA");
    await keySet.reload();
    expect(await keySet.getKey("EdDSA", kid)).toBe(before);
    expect(removals).toEqual([]);
  });

  test("a refresh that drops a used key reports exactly that key's KeyObject", async () => {
    const oldKid = newestKid();
    const oldKey = await keySet.getKey("EdDSA", oldKid);
    const newKid = await issuer.rotate({ retireOld: true });
    await keySet.reload();
    expect(removals).toHaveLength(1);
    expect(removals[0]).toEqual([oldKey]);
    expect(removals[0]?.[0]).toBe(oldKey);
    await expect(keySet.getKey("EdDSA", newKid)).resolves.not.toBe(oldKey);
    await expect(keySet.getKey("EdDSA", oldKid)).rejects.toMatchObject({ code: ERR_AUTH_TOKEN_INVALID });
  });

  test("a key that was never used verified nothing: its removal is not reported", async () => {
    const unused = await issuer.addKey("EdDSA");
    await keySet.reload();
    issuer.removeKey(unused);
    await keySet.reload();
    expect(removals).toEqual([]);
  });

  test("new material under the same kid is another key: the old one is reported removed", async () => {
    const jwks = () => JSON.stringify({ keys: [{ ...generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" }), kid: "k1", alg: "EdDSA", use: "sig" }] });
    issuer.setBehaviour({ kind: "body", body: jwks() });
    const first = await keySet.getKey("EdDSA", "k1");
    issuer.setBehaviour({ kind: "body", body: jwks() });
    await keySet.reload();
    expect(removals).toEqual([[first]]);
    expect(await keySet.getKey("EdDSA", "k1")).not.toBe(first);
  });

  test("a listener that throws does not break the refresh or the other listeners", async () => {
    const seen: number[] = [];
    keySet.onKeysRemoved(() => {
      throw new Error("listener bug");
    });
    keySet.onKeysRemoved((removed) => seen.push(removed.size));
    await keySet.getKey("EdDSA", newestKid());
    const newKid = await issuer.rotate({ retireOld: true });
    await expect(keySet.reload()).resolves.toBeUndefined();
    expect(seen).toEqual([1]);
    await expect(keySet.getKey("EdDSA", newKid)).resolves.toBeDefined();
  });

  test("an RSA key shorter than 2048 bits is unusable", async () => {
    const short = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "jwk" });
    issuer.setBehaviour({ kind: "body", body: JSON.stringify({ keys: [{ ...short, kid: "short", alg: "RS256", use: "sig" }] }) });
    await expect(keySet.getKey("RS256", "short")).rejects.toMatchObject({ code: ERR_AUTH_TOKEN_INVALID, reason: expect.stringContaining("2048") });
  });

  test("a published key node:crypto cannot import is refused as invalid, not thrown raw", async () => {
    issuer.setBehaviour({ kind: "body", body: JSON.stringify({ keys: [{ kty: "EC", crv: "P-256", x: "AAAA", y: "AAAA", kid: "bad" }] }) });
    await expect(keySet.getKey("ES256", "bad")).rejects.toMatchObject({ code: ERR_AUTH_TOKEN_INVALID });
  });
});
