import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { createOidcContainer } from "../../../src/container.js";
import { ERR_AUTH_TOKEN_INVALID, ERR_AUTH_UNAVAILABLE } from "../../../src/errors.js";
import { BackChannelLogout } from "../../../src/services/sessions/BackChannelLogout.js";
import type { Revocation, RevocationStore } from "../../../src/services/sessions/RevocationStore.js";
import { TestIssuer } from "../../../src/testing/TestIssuer.js";
import { TOKENS } from "../../../src/tokens.js";
import { captureLogger } from "../../fixtures/doubles.js";
import { logoutToken } from "../../fixtures/logoutApp.js";
import { refusal } from "../../fixtures/refusal.js";

// BackChannelLogout with a fake store: what it asks the store, in which
// order, and what a failing store turns into.

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256" });
});
afterAll(() => issuer.close());

function logoutWith(store: Partial<RevocationStore>) {
  const calls: string[] = [];
  const container = createOidcContainer();
  container.register(TOKENS.Environment, { useValue: issuer.env() });
  container.register(TOKENS.Logger, { useValue: captureLogger().logger });
  container.register(TOKENS.RevocationStore, {
    useValue: {
      isRevoked: () => false,
      onRevoked: () => () => undefined,
      claimOnce: async (scope: string, id: string) => (calls.push(`claimOnce ${scope} ${id}`), true),
      add: async (r: Revocation) => void calls.push(`add ${r.kind}`),
      ...store,
    },
  });
  return { logout: container.resolve(BackChannelLogout), calls };
}


describe("BackChannelLogout", () => {
  test("claims the jti (scoped to the issuer, until exp + tolerance) before adding the revocation; a sid wins over sub", async () => {
    let expiresAt = 0;
    const { logout, calls } = logoutWith({
      claimOnce: async (scope, id, until) => {
        calls.push(`claimOnce ${scope} ${id}`);
        expiresAt = until;
        return true;
      },
    });
    const now = Math.floor(Date.now() / 1000);
    const revocation = await logout.logout(await logoutToken(issuer, { jti: "j-1", sid: "s-1", sub: "u-1", iat: now, exp: now + 120 }));
    expect(calls).toEqual([`claimOnce logout ${JSON.stringify([issuer.issuer, "j-1"])}`, "add sid"]);
    expect(expiresAt).toBe((now + 120 + 5) * 1000);
    expect(revocation).toMatchObject({ kind: "sid", iss: issuer.issuer, sid: "s-1" });
  });

  test("without sid: the subject, up to and including the logout token's second", async () => {
    const { logout } = logoutWith({});
    const now = Math.floor(Date.now() / 1000);
    expect(await logout.logout(await logoutToken(issuer, { sid: undefined, sub: "u-2", iat: now }))).toMatchObject({ kind: "sub", sub: "u-2", before: now + 1 });
  });

  test("a replay: ERR_AUTH_TOKEN_INVALID, nothing added", async () => {
    const { logout, calls } = logoutWith({ claimOnce: async () => false });
    const error = await refusal(logout.logout(await logoutToken(issuer)));
    expect(error.code).toBe(ERR_AUTH_TOKEN_INVALID);
    expect(error.reason).toBe('logout token replayed ("jti" seen before)');
    expect(calls).toEqual([]);
  });

  test("a bad token never reaches the store", async () => {
    const { logout, calls } = logoutWith({});
    expect((await refusal(logout.logout(await logoutToken(issuer, { nonce: "n" })))).code).toBe(ERR_AUTH_TOKEN_INVALID);
    expect(calls).toEqual([]);
  });

  test.each<[string, Partial<RevocationStore>]>([
    ["claimOnce rejects", { claimOnce: async () => Promise.reject(new Error("connection lost")) }],
    ["add rejects (e.g. the store is full)", { add: async () => Promise.reject(new RangeError("revocation store full")) }],
  ])("%s: ERR_AUTH_UNAVAILABLE (not the token's fault), the store's reason kept for the log", async (_name, store) => {
    const { logout } = logoutWith(store);
    const error = await refusal(logout.logout(await logoutToken(issuer)));
    expect(error.code).toBe(ERR_AUTH_UNAVAILABLE);
    expect(error.reason).toMatch(/connection lost|store full/);
  });
});
