import { expect, test } from "@jest/globals";
import { DPOP_NONCE_STEP_SECONDS, DpopNonces } from "../../../src/services/verification/dpopNonce.js";

const SECRET = "a-secret-shared-by-every-node-0123456789";
const STEP = DPOP_NONCE_STEP_SECONDS * 1000;
const T = 1_900_000_000_000;

test("nodes sharing the secret issue the same nonce and accept each other's; another secret's is refused", () => {
  const a = new DpopNonces(SECRET);
  const b = new DpopNonces(SECRET);
  expect(a.current(T)).toBe(b.current(T));
  expect(b.accepts(a.current(T), T)).toBe(true);
  expect(new DpopNonces(`${SECRET}-other`).accepts(a.current(T), T)).toBe(false);
});

test("a nonce is accepted in its step and the ones before and after it, not later", () => {
  const nonces = new DpopNonces(SECRET);
  const nonce = nonces.current(T);
  expect(nonces.accepts(nonce, T + STEP)).toBe(true);
  expect(nonces.accepts(nonce, T - STEP)).toBe(true);
  expect(nonces.accepts(nonce, T + 2 * STEP)).toBe(false);
  expect(nonces.current(T + 2 * STEP)).not.toBe(nonce);
});

test.each(["", "x", "a".repeat(43), "é".repeat(43)])("a made-up nonce (%s) is refused", (nonce) => {
  expect(new DpopNonces(SECRET).accepts(nonce, T)).toBe(false);
});
