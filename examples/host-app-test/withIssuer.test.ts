/**
 * Example 3, the same app tested against real tokens: a TestIssuer serves
 * its JWKS on 127.0.0.1 and the package's own verifier checks every token.
 */
// #region test-issuer
import { afterAll, beforeAll, expect, test } from "@jest/globals";
import type { IOServer } from "ioserver";
import { createTestContainer, freePort, ManualClock, TestIssuer } from "ioserver-oidc/testing";
import { startNotesApp } from "./app.js";

let issuer: TestIssuer;
let server: IOServer;
let url: string;
const clock = new ManualClock();

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256", audience: "notes-app" });
  const port = await freePort();
  // The real verifier, trusting this issuer only, on a clock the test moves.
  server = await startNotesApp(port, createTestContainer({ env: issuer.env(), clock }));
  url = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await server.stop();
  await issuer.close();
});

const listNotes = async (token: string) =>
  (await fetch(`${url}/notes`, { headers: { authorization: `Bearer ${token}` } })).status;

test("the issuer's tokens are accepted until they expire", async () => {
  const now = Math.floor(clock.now() / 1000);
  expect(await listNotes(await issuer.mint({ sub: "alice" }, { now, expiresIn: 300 }))).toBe(200);
  expect(await listNotes(await issuer.mint({ sub: "alice" }, { now, expiresIn: -60 }))).toBe(401);
});

test("a rotated key is picked up once the JWKS cooldown has passed", async () => {
  await issuer.rotate({ retireOld: true });
  const token = await issuer.mint({ sub: "alice" }, { now: Math.floor(clock.now() / 1000) });
  expect(await listNotes(token)).toBe(401);
  clock.advance(31_000);
  expect(await listNotes(token)).toBe(200);
});
// #endregion test-issuer
