import { constants, createPublicKey, generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from "node:crypto";
import { describe, expect, test } from "@jest/globals";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { verifyJwsSignature } from "../../../src/services/verification/jwsSignature.js";
import type { TestAlgorithm } from "../../../src/testing/TestIssuer.js";

// node:crypto must accept exactly what jose signs, for every algorithm the
// verifier allows, and nothing else.

const ALGORITHMS: TestAlgorithm[] = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

interface Signed {
  key: KeyObject;
  input: Buffer;
  signature: Buffer;
}

/** A jose-signed JWT, split the way the verifier splits it, with the public key imported from its JWK. */
async function signedWith(alg: TestAlgorithm): Promise<Signed> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const token = await new SignJWT({ sub: "alice" }).setProtectedHeader({ alg }).sign(privateKey);
  const [header = "", payload = "", signature = ""] = token.split(".");
  const key = createPublicKey({ key: (await exportJWK(publicKey)) as JsonWebKey, format: "jwk" });
  return { key, input: Buffer.from(`${header}.${payload}`), signature: Buffer.from(signature, "base64url") };
}

const flipped = (buffer: Buffer, at: number): Buffer => {
  const copy = Buffer.from(buffer);
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
};

describe("verifyJwsSignature", () => {
  const signed = new Map<TestAlgorithm, Signed>();

  test.each(ALGORITHMS)("%s: accepts jose's signature and refuses any changed bit", async (alg) => {
    const s = await signedWith(alg);
    signed.set(alg, s);
    expect(await verifyJwsSignature(alg, s.key, s.input, s.signature)).toBe(true);
    expect(await verifyJwsSignature(alg, s.key, flipped(s.input, s.input.length - 1), s.signature)).toBe(false);
    expect(await verifyJwsSignature(alg, s.key, s.input, flipped(s.signature, 0))).toBe(false);
    expect(await verifyJwsSignature(alg, s.key, s.input, flipped(s.signature, s.signature.length - 1))).toBe(false);
  });

  test.each(ALGORITHMS)("%s: refuses a valid signature under another key of the same type", async (alg) => {
    const s = signed.get(alg) ?? (await signedWith(alg));
    const other = await signedWith(alg);
    expect(await verifyJwsSignature(alg, other.key, s.input, s.signature)).toBe(false);
  });

  test("the alg decides the hash: an RS256 signature does not pass as RS384 or PS256", async () => {
    const s = signed.get("RS256");
    if (!s) throw new Error("RS256 case did not run");
    expect(await verifyJwsSignature("RS384", s.key, s.input, s.signature)).toBe(false);
    expect(await verifyJwsSignature("PS256", s.key, s.input, s.signature)).toBe(false);
  });

  test("ECDSA signatures must be raw r||s of the curve's size: DER or truncated ones are refused", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const input = Buffer.from("header.payload");
    const der = sign("sha256", input, privateKey);
    const raw = sign("sha256", input, { key: privateKey, dsaEncoding: "ieee-p1363" });
    expect(await verifyJwsSignature("ES256", publicKey, input, raw)).toBe(true);
    expect(await verifyJwsSignature("ES256", publicKey, input, der)).toBe(false);
    expect(await verifyJwsSignature("ES256", publicKey, input, raw.subarray(0, 63))).toBe(false);
    expect(await verifyJwsSignature("ES384", publicKey, input, raw)).toBe(false);
  });

  test("PS256 requires a salt as long as the hash (RFC 7518 §3.5)", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const input = Buffer.from("header.payload");
    const pss = (saltLength: number) => sign("sha256", input, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
    expect(await verifyJwsSignature("PS256", publicKey, input, pss(32))).toBe(true);
    expect(await verifyJwsSignature("PS256", publicKey, input, pss(0))).toBe(false);
    expect(await verifyJwsSignature("PS256", publicKey, input, pss(20))).toBe(false);
  });

  test("a key of the wrong type, an unknown alg, none or HS256 give false, never an exception", async () => {
    const rsa = signed.get("RS256");
    const ed = signed.get("EdDSA");
    if (!rsa || !ed) throw new Error("RS256/EdDSA cases did not run");
    expect(await verifyJwsSignature("EdDSA", rsa.key, rsa.input, rsa.signature)).toBe(false);
    expect(await verifyJwsSignature("ES256", ed.key, ed.input, Buffer.alloc(64))).toBe(false);
    expect(await verifyJwsSignature("RS256", ed.key, ed.input, ed.signature)).toBe(false);
    for (const alg of ["none", "HS256", "toString", "__proto__", ""]) {
      expect(await verifyJwsSignature(alg, rsa.key, rsa.input, rsa.signature)).toBe(false);
    }
  });
});
