import { afterAll, beforeAll, beforeEach, expect, test } from "@jest/globals";
import { downloadJwks } from "../../../src/services/keys/downloadJwks.js";
import { TestIssuer } from "../../../src/testing/TestIssuer.js";
import { freePort } from "../../fixtures/app.js";

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "EdDSA" });
});
afterAll(() => issuer.close());
beforeEach(() => issuer.setBehaviour({ kind: "ok" }));

test("returns the published public keys", async () => {
  const keys = await downloadJwks(issuer.jwksUri, 2000);
  expect(keys.map((k) => k.kid)).toEqual(issuer.kids);
  expect(keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", use: "sig" });
});

test("drops unusable keys and keeps the rest", async () => {
  const good = (await downloadJwks(issuer.jwksUri, 2000))[0];
  issuer.setBehaviour({ kind: "body", body: JSON.stringify({ keys: [{ kty: "oct", k: "c2VjcmV0" }, { ...good, d: "private" }, good] }) });
  expect(await downloadJwks(issuer.jwksUri, 2000)).toEqual([good]);
});

test.each([
  ["a non-200 status", { kind: "status", status: 500 } as const, "HTTP 500"],
  ["a redirect, which is not followed", { kind: "redirect", location: "http://127.0.0.1:9/evil" } as const, "HTTP 302 (redirects are not followed)"],
  ["a non-JSON body", { kind: "body", body: "<html>" } as const, "body is not JSON"],
  ["a body without keys", { kind: "body", body: "{}" } as const, 'body has no "keys" array'],
  ["a JSON null body", { kind: "body", body: "null" } as const, 'body has no "keys" array'],
  ["a set without usable key", { kind: "body", body: '{"keys":[{"kty":"oct","k":"eA"}]}' } as const, "no usable public signature key in the set"],
  ["an oversized body", { kind: "body", body: JSON.stringify({ keys: [], pad: "x".repeat(600 * 1024) }) } as const, "body larger than 524288 bytes"],
])("rejects %s", async (_kind, behaviour, message) => {
  issuer.setBehaviour(behaviour);
  await expect(downloadJwks(issuer.jwksUri, 2000)).rejects.toThrow(message);
});

test("rejects when the endpoint does not answer within the timeout", async () => {
  issuer.setBehaviour({ kind: "delay", ms: 2000 });
  await expect(downloadJwks(issuer.jwksUri, 50)).rejects.toThrow("timed out after 50 ms");
});

test("rejects naming the network error when nothing listens", async () => {
  const closedPort = await freePort();
  await expect(downloadJwks(`http://127.0.0.1:${closedPort}/jwks`, 2000)).rejects.toThrow("request failed: ECONNREFUSED");
});
