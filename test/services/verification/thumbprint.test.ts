import { expect, test } from "@jest/globals";
import { generateKeyPairSync } from "node:crypto";
import { calculateJwkThumbprint, type JWK } from "jose";
import { jwkThumbprint } from "../../../src/services/verification/thumbprint.js";

test("RFC 7638 §3.1's example key has the thumbprint the RFC gives", () => {
  const jwk = {
    kty: "RSA",
    n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    e: "AQAB",
    alg: "RS256",
    kid: "2011-04-29",
  };
  expect(jwkThumbprint(jwk)).toBe("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
});

test.each([
  ["EC P-256", () => generateKeyPairSync("ec", { namedCurve: "P-256" })],
  ["Ed25519", () => generateKeyPairSync("ed25519")],
])("%s: equal to jose's calculateJwkThumbprint; optional members do not change it", async (_name, make) => {
  const jwk = make().publicKey.export({ format: "jwk" }) as JWK;
  expect(jwkThumbprint(jwk)).toBe(await calculateJwkThumbprint(jwk));
  expect(jwkThumbprint({ ...jwk, kid: "k", use: "sig" })).toBe(jwkThumbprint(jwk));
});

test.each([
  ["another key type", { kty: "oct", k: "c2VjcmV0" }],
  ["a missing member", { kty: "EC", crv: "P-256", x: "eA" }],
  ["a member that is not a string", { kty: "OKP", crv: "Ed25519", x: 1 }],
  ["no kty", {}],
])("%s: undefined", (_name, jwk) => {
  expect(jwkThumbprint(jwk as JWK)).toBeUndefined();
});
