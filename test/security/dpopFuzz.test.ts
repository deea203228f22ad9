/**
 * Fuzzing DPoP proofs with fast-check, as fuzz.test.ts does tokens: valid
 * proofs, mutated, are never accepted unless the mutation only respells
 * the same proof; proofs with arbitrary headers and claims, correctly
 * signed, and arbitrary DPoP header values are refused with a documented
 * RFC 9449 error, never a crash or an unhandled rejection. Through the
 * shared AuthPipeline with the real verifier and a warm loopback JWKS.
 */
import { afterAll, beforeAll, expect, test } from "@jest/globals";
import fc from "fast-check";
import { calculateJwkThumbprint } from "jose";
import { createOidcContainer, createOidcLogger, OidcError, TOKENS, type AuthPipeline } from "../../src/index.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { httpCredential } from "../../src/transport/credentials.js";
import { goodParts, rawKey, rawProof, type RawKey } from "../fixtures/dpopProofs.js";
import { isSpellingOf, mutateToken, tokenMutation } from "./mutations.js";

const MUTATION_RUNS = 2_000;
const STRUCTURE_RUNS = 1_000;
const HEADER_RUNS = 1_000;
const runOptions = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, interruptAfterTimeLimit: 40_000, markInterruptAsFailure: true, timeout: 2_000 });
const HTU = "http://api.example.com/profile";
const TARGET = { method: "GET", protocol: "http", host: "api.example.com", path: "/profile?page=2" };

const nodeProcess = (Buffer.constructor as FunctionConstructor)("return process")() as NodeJS.Process;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

let issuer: TestIssuer;
let pipeline: AuthPipeline;
let key: RawKey;
let token: string;

beforeAll(async () => {
  nodeProcess.on("unhandledRejection", onUnhandled);
  issuer = await TestIssuer.start({ alg: "ES256" });
  const container = createOidcContainer();
  container.register(TOKENS.Environment, { useValue: issuer.env() });
  container.register(TOKENS.Logger, { useValue: createOidcLogger(undefined, "silent") });
  container.register(TOKENS.AppHandle, { useValue: {} });
  pipeline = container.resolve(TOKENS.AuthPipeline);
  key = rawKey();
  token = await issuer.mint({ sub: "alice", cnf: { jkt: await calculateJwkThumbprint(key.jwk as never) } });
});
afterAll(async () => {
  nodeProcess.off("unhandledRejection", onUnhandled);
  await issuer.close();
  expect(unhandled).toEqual([]);
});

/** The pipeline's verdict on a DPoP request carrying `proof`; any refusal must be a documented one. */
async function verdict(proof: string, authorization = `DPoP ${token}`): Promise<"accepted" | "refused"> {
  try {
    await pipeline.authenticateRequest(() => httpCredential({ headers: { authorization, dpop: proof }, rawHeaders: ["Authorization", authorization, "DPoP", proof] }, () => TARGET), "fuzz");
    return "accepted";
  } catch (error) {
    expect(error).toBeInstanceOf(OidcError);
    const refusal = error as OidcError;
    expect({ code: refusal.code, status: refusal.statusCode }).toEqual({ code: "ERR_AUTH_TOKEN_INVALID", status: 401 });
    expect(refusal.challenge).toMatch(/^Bearer realm="api", DPoP error="(invalid_dpop_proof|invalid_token|use_dpop_nonce)", error_description="[\x20-\x7e]*", algs="[^"]+"$/);
    return "refused";
  }
}

const fresh = (): string => {
  const { header, payload } = goodParts(key, "GET", HTU, token);
  return rawProof(key, header, payload);
};

test("control: a fresh proof is accepted once, then refused as a replay", async () => {
  const proof = fresh();
  expect(await verdict(proof)).toBe("accepted");
  expect(await verdict(proof)).toBe("refused");
});

test(`mutated proofs are refused unless they only respell the proof (${MUTATION_RUNS} runs)`, async () => {
  await fc.assert(
    fc.asyncProperty(tokenMutation, async (mutation) => {
      const base = fresh();
      const candidate = mutateToken(base, mutation, [base]);
      const outcome = await verdict(candidate);
      if (outcome === "accepted") expect(isSpellingOf(candidate, [base])).toBe(true);
    }),
    runOptions(MUTATION_RUNS),
  );
});

const member = fc.oneof(fc.jsonValue(), fc.constant(undefined));
test(`correctly signed proofs with arbitrary header and claim values are refused unless they are right (${STRUCTURE_RUNS} runs)`, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({ typ: member, alg: member, jwk: member, crit: member }, { requiredKeys: [] }),
      fc.record({ jti: member, htm: member, htu: member, iat: member, ath: member, nonce: member }, { requiredKeys: [] }),
      async (headerChanges, payloadChanges) => {
        const { header, payload } = goodParts(key, "GET", HTU, token);
        const h: Record<string, unknown> = { ...header, ...headerChanges };
        const p: Record<string, unknown> = { ...payload, ...payloadChanges };
        const proof = rawProof(key, JSON.parse(JSON.stringify(h)) as Record<string, unknown>, JSON.parse(JSON.stringify(p)) as Record<string, unknown>);
        const outcome = await verdict(proof);
        if (outcome === "accepted") {
          // Only the members that did not change (or changed to what they were) can let a proof through.
          expect({ typ: h.typ, alg: h.alg, htm: p.htm, htu: p.htu, ath: p.ath, nonce: p.nonce }).toEqual({ typ: "dpop+jwt", alg: "ES256", htm: "GET", htu: HTU, ath: payload.ath, nonce: undefined });
        }
      },
    ),
    runOptions(STRUCTURE_RUNS),
  );
});

test(`arbitrary DPoP header values are refused, never a crash (${HEADER_RUNS} runs)`, async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.array(fc.base64String(), { minLength: 1, maxLength: 5 }).map((parts) => parts.join("."))), async (value) => {
      expect(await verdict(value)).toBe("refused");
    }),
    runOptions(HEADER_RUNS),
  );
});
