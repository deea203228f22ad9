import { describe, expect, test } from "@jest/globals";
import type { JWK } from "jose";
import { isUsablePublicKey, jwkMatchesAlgorithm } from "../../../src/services/keys/jwkAlgorithms.js";

const rsa: JWK = { kty: "RSA", n: "x", e: "AQAB" };
const p256: JWK = { kty: "EC", crv: "P-256", x: "x", y: "y" };
const ed25519: JWK = { kty: "OKP", crv: "Ed25519", x: "x" };

describe("jwkMatchesAlgorithm", () => {
  test.each([
    [rsa, "RS256", true],
    [rsa, "PS512", true],
    [rsa, "ES256", false],
    [p256, "ES256", true],
    [p256, "ES384", false],
    [ed25519, "EdDSA", true],
    [ed25519, "Ed25519", true],
    [ed25519, "ES256", false],
    [{ kty: "OKP", crv: "X25519", x: "x" }, "EdDSA", false],
    [rsa, "HS256", false],
    [rsa, "none", false],
  ])("%j with %s → %s", (jwk, alg, expected) => {
    expect(jwkMatchesAlgorithm(jwk, alg)).toBe(expected);
  });

  test("a key naming its own alg is only used for that alg (RFC 8725 §3.1)", () => {
    expect(jwkMatchesAlgorithm({ ...rsa, alg: "RS256" }, "RS256")).toBe(true);
    expect(jwkMatchesAlgorithm({ ...rsa, alg: "RS256" }, "PS256")).toBe(false);
  });
});

describe("isUsablePublicKey", () => {
  test.each([
    ["an RSA public key", rsa, true],
    ["a P-256 key marked for signatures", { ...p256, use: "sig" }, true],
    ["an Ed25519 key with key_ops verify", { ...ed25519, key_ops: ["verify"] }, true],
    ["an encryption key", { ...rsa, use: "enc" }, false],
    ["a key whose key_ops exclude verify", { ...rsa, key_ops: ["encrypt"] }, false],
    ["a private key published by mistake", { ...rsa, d: "secret" }, false],
    ["a symmetric key", { kty: "oct", k: "c2VjcmV0" }, false],
    ["null", null, false],
  ])("%s → %s", (_kind, jwk, expected) => {
    expect(isUsablePublicKey(jwk as JWK)).toBe(expected);
  });
});
