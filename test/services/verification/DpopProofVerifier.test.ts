import { describe, expect, test } from "@jest/globals";
import { calculateJwkThumbprint } from "jose";
import { DPOP_DEFAULTS } from "../../../src/config.js";
import { ManualClock } from "../../../src/testing/index.js";
import type { RevocationStore } from "../../../src/services/sessions/RevocationStore.js";
import { DpopProofVerifier } from "../../../src/services/verification/DpopProofVerifier.js";
import { goodParts, rawKey, rawProof } from "../../fixtures/dpopProofs.js";

const TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln";
const T0 = 1_900_000_000;
const TARGET = { method: "POST", protocol: "https", host: "API.example.com:443", path: "/orders/./42?x=1#f" };
const HTU = "https://api.example.com/orders/42";

/** A replay store double recording the claims made. */
function storeDouble(answer: (id: string) => Promise<boolean>) {
  const claims: [string, string, number][] = [];
  const store = { claimOnce: async (scope: string, id: string, expiresAt: number) => (claims.push([scope, id, expiresAt]), answer(id)) } as unknown as RevocationStore;
  return { store, claims };
}

describe("DpopProofVerifier", () => {
  const key = rawKey();
  const proofAt = (iat: number, changes: Record<string, unknown> = {}) => {
    const { header, payload } = goodParts(key, "POST", HTU, TOKEN, iat);
    return rawProof(key, header, { ...payload, ...changes });
  };

  test("a good proof gives the key's RFC 7638 thumbprint; the expected htu is normalised from scheme, Host and path", async () => {
    const clock = new ManualClock(T0 * 1000);
    const verifier = new DpopProofVerifier(clock, storeDouble(async () => true).store);
    const checked = await verifier.check(DPOP_DEFAULTS, proofAt(T0), TARGET, TOKEN);
    expect(checked.jkt).toBe(await calculateJwkThumbprint(key.jwk as never));
    expect(checked.expiresAt).toBe((T0 + 300) * 1000);
    expect(checked.nextNonce).toBeUndefined();
  });

  test('claim() uses the store\'s claimOnce with scope "dpop" until the proof ages out, and refuses a replay', async () => {
    const seen = new Set<string>();
    const { store, claims } = storeDouble(async (id) => !seen.has(id) && Boolean(seen.add(id)));
    const verifier = new DpopProofVerifier(new ManualClock(T0 * 1000), store);
    const proof = proofAt(T0 - 10, { jti: "the-jti" });
    await verifier.claim(await verifier.check(DPOP_DEFAULTS, proof, TARGET, TOKEN));
    expect(claims).toEqual([["dpop", expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), (T0 - 10 + 300) * 1000]]);
    expect(claims[0]?.[1]).not.toContain("the-jti");
    await expect(verifier.claim(await verifier.check(DPOP_DEFAULTS, proof, TARGET, TOKEN))).rejects.toMatchObject({ authError: "invalid_dpop_proof", message: "The DPoP proof was already used" });
  });

  test("a store that cannot answer fails closed: its error reaches the caller", async () => {
    const down = Object.assign(new Error("store down"), {});
    const verifier = new DpopProofVerifier(new ManualClock(T0 * 1000), storeDouble(() => Promise.reject(down)).store);
    await expect(verifier.claim(await verifier.check(DPOP_DEFAULTS, proofAt(T0), TARGET, TOKEN))).rejects.toBe(down);
  });

  test.each([
    ["the window's oldest second", -300, true],
    ["one second older", -301, false],
    ["the furthest future second", 30, true],
    ["one second further", 31, false],
  ])("iat at %s (%i s from now): accepted %s", async (_name, offset, accepted) => {
    const verifier = new DpopProofVerifier(new ManualClock(T0 * 1000), storeDouble(async () => true).store);
    const outcome = verifier.check(DPOP_DEFAULTS, proofAt(T0 + offset), TARGET, TOKEN);
    if (accepted) await expect(outcome).resolves.toMatchObject({ jkt: expect.any(String) });
    else await expect(outcome).rejects.toMatchObject({ authError: "invalid_dpop_proof" });
  });

  test("AUTH_SERVICE_PUBLIC_ORIGIN replaces scheme and Host, even a missing Host", async () => {
    const verifier = new DpopProofVerifier(new ManualClock(T0 * 1000), storeDouble(async () => true).store);
    const settings = { ...DPOP_DEFAULTS, publicOrigin: "https://api.example.com" };
    await expect(verifier.check(settings, proofAt(T0), { ...TARGET, protocol: "http", host: undefined }, TOKEN)).resolves.toMatchObject({ jkt: expect.any(String) });
    await expect(verifier.check(DPOP_DEFAULTS, proofAt(T0), { ...TARGET, host: undefined }, TOKEN)).rejects.toMatchObject({ message: "The request has a missing or malformed Host header" });
  });

  test("with nonces on: no nonce → use_dpop_nonce with the current nonce; the previous step's nonce is accepted and the current one handed out", async () => {
    const clock = new ManualClock(T0 * 1000);
    const verifier = new DpopProofVerifier(clock, storeDouble(async () => true).store);
    const settings = { ...DPOP_DEFAULTS, dpopNonceSecret: "n".repeat(32) };
    const refusal = await verifier.check(settings, proofAt(T0), TARGET, TOKEN).catch((error: unknown) => error as { authError: string; dpopNonce: string });
    expect(refusal).toMatchObject({ authError: "use_dpop_nonce", dpopNonce: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const nonce = (refusal as { dpopNonce: string }).dpopNonce;
    expect((await verifier.check(settings, proofAt(T0, { nonce }), TARGET, TOKEN)).nextNonce).toBeUndefined();
    clock.advance(60_000);
    const later = await verifier.check(settings, proofAt(T0 + 60, { nonce }), TARGET, TOKEN);
    expect(later.nextNonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(later.nextNonce).not.toBe(nonce);
  });
});
