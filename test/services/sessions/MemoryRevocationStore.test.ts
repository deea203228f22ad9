import { describe, expect, test } from "@jest/globals";
import { MemoryRevocationStore } from "../../../src/services/sessions/MemoryRevocationStore.js";
import type { Revocation } from "../../../src/services/sessions/RevocationStore.js";
import { ManualClock } from "../../../src/testing/ManualClock.js";
import { captureLogger } from "../../fixtures/doubles.js";

const ISS = "https://auth.example.com";
const T0 = Date.UTC(2030, 0, 1);
const HOUR = 3_600_000;

function storeAt(start = T0) {
  const clock = new ManualClock(start);
  const logs = captureLogger();
  return { store: new MemoryRevocationStore(clock, logs.logger), clock, logs };
}

const token = (extra: Record<string, unknown> = {}) => ({ iss: ISS, sub: "alice", jti: "t-1", sid: "s-1", iat: T0 / 1000 - 60, ...extra });

describe("what each kind of revocation matches", () => {
  test("an empty store revokes nothing", () => {
    const { store } = storeAt();
    expect(store.isRevoked(token(), T0)).toBe(false);
  });

  test("jti: that token only, of that issuer only", async () => {
    const { store } = storeAt();
    await store.add({ kind: "jti", iss: ISS, jti: "t-1", expiresAt: T0 + HOUR });
    expect(store.isRevoked(token(), T0)).toBe(true);
    expect(store.isRevoked(token({ jti: "t-2" }), T0)).toBe(false);
    expect(store.isRevoked(token({ iss: "https://other.example.com" }), T0)).toBe(false);
    expect(store.isRevoked(token({ jti: undefined }), T0)).toBe(false);
  });

  test("sid: every token of the session, whatever its jti or iat", async () => {
    const { store } = storeAt();
    await store.add({ kind: "sid", iss: ISS, sid: "s-1", expiresAt: T0 + HOUR });
    expect(store.isRevoked(token({ jti: "t-9", iat: T0 / 1000 + 10 }), T0)).toBe(true);
    expect(store.isRevoked(token({ sid: "s-2" }), T0)).toBe(false);
    expect(store.isRevoked(token({ sid: 42 }), T0)).toBe(false);
  });

  test("sub before T: tokens issued before T are revoked, tokens issued at or after T accepted again", async () => {
    const { store } = storeAt();
    const before = T0 / 1000;
    await store.add({ kind: "sub", iss: ISS, sub: "alice", before, expiresAt: T0 + HOUR });
    expect(store.isRevoked(token({ iat: before - 1 }), T0)).toBe(true);
    expect(store.isRevoked(token({ iat: before }), T0)).toBe(false);
    expect(store.isRevoked(token({ iat: before + 5 }), T0)).toBe(false);
    expect(store.isRevoked(token({ sub: "bob", iat: before - 1 }), T0)).toBe(false);
  });

  test("sub before T: a token without a numeric iat cannot prove it is newer, so it is revoked", async () => {
    const { store } = storeAt();
    await store.add({ kind: "sub", iss: ISS, sub: "alice", before: T0 / 1000, expiresAt: T0 + HOUR });
    expect(store.isRevoked(token({ iat: undefined }), T0)).toBe(true);
    expect(store.isRevoked(token({ iat: "9999999999" }), T0)).toBe(true);
  });

  test("two cut-offs for one subject keep the later one (one entry)", async () => {
    const { store } = storeAt();
    const before = T0 / 1000;
    await store.add({ kind: "sub", iss: ISS, sub: "alice", before: before + 100, expiresAt: T0 + 2 * HOUR });
    await store.add({ kind: "sub", iss: ISS, sub: "alice", before, expiresAt: T0 + HOUR });
    expect(store.size).toBe(1);
    expect(store.isRevoked(token({ iat: before + 50 }), T0)).toBe(true);
    expect(store.isRevoked(token({ iat: before + 50 }), T0 + HOUR + 1)).toBe(true);
  });
});

describe("bounded", () => {
  test("an entry stops matching at its expiresAt and is dropped", async () => {
    const { store } = storeAt();
    await store.add({ kind: "jti", iss: ISS, jti: "t-1", expiresAt: T0 + HOUR });
    expect(store.isRevoked(token(), T0 + HOUR - 1)).toBe(true);
    expect(store.isRevoked(token(), T0 + HOUR)).toBe(false);
    expect(store.size).toBe(0);
  });

  test("expired entries are swept as new ones arrive: a steady flow stays near its live size", async () => {
    const { store, clock } = storeAt();
    for (let i = 0; i < 10_000; i += 1) {
      await store.add({ kind: "jti", iss: ISS, jti: `t-${i}`, expiresAt: clock.now() + 1000 });
      clock.advance(10);
    }
    // 100 entries are live at any time; the sweep runs once the maps doubled past 1024.
    expect(store.size).toBeLessThanOrEqual(2048);
  });

  test("full of live entries: add and claimOnce reject, and nothing already revoked is dropped", async () => {
    const { store } = storeAt();
    store.maxEntries = 3;
    await store.add({ kind: "jti", iss: ISS, jti: "a", expiresAt: T0 + HOUR });
    await store.add({ kind: "jti", iss: ISS, jti: "b", expiresAt: T0 + HOUR });
    await store.add({ kind: "sid", iss: ISS, sid: "s", expiresAt: T0 + HOUR });
    await expect(store.add({ kind: "jti", iss: ISS, jti: "c", expiresAt: T0 + HOUR })).rejects.toThrow(RangeError);
    await expect(store.claimOnce("logout", "x", T0 + HOUR)).rejects.toThrow(RangeError);
    for (const jti of ["a", "b"]) expect(store.isRevoked(token({ jti }), T0)).toBe(true);
  });
});

describe("onRevoked", () => {
  test("listeners hear every added revocation until they unsubscribe; a throwing listener is logged, others still run", async () => {
    const { store, logs } = storeAt();
    const heard: Revocation[] = [];
    store.onRevoked(() => {
      throw new Error("boom");
    });
    const stop = store.onRevoked((r) => heard.push(r));
    await store.add({ kind: "sid", iss: ISS, sid: "s-1", expiresAt: T0 + HOUR });
    stop();
    await store.add({ kind: "sid", iss: ISS, sid: "s-2", expiresAt: T0 + HOUR });
    expect(heard).toEqual([{ kind: "sid", iss: ISS, sid: "s-1", expiresAt: T0 + HOUR }]);
    expect(logs.records().some((r) => r.msg === "revocation listener threw")).toBe(true);
  });
});

describe("claimOnce", () => {
  test("true the first time, false for a replay until the id expires, scopes kept apart", async () => {
    const { store, clock } = storeAt();
    expect(await store.claimOnce("logout", "j-1", T0 + 1000)).toBe(true);
    expect(await store.claimOnce("logout", "j-1", T0 + 1000)).toBe(false);
    expect(await store.claimOnce("dpop", "j-1", T0 + 1000)).toBe(true);
    clock.advance(1000);
    expect(await store.claimOnce("logout", "j-1", T0 + 5000)).toBe(true);
  });
});

describe("malformed revocations are refused, not stored", () => {
  const cases: [string, unknown][] = [
    ["null", null],
    ["no iss", { kind: "jti", jti: "a", expiresAt: T0 }],
    ["unknown kind", { kind: "user", iss: ISS, expiresAt: T0 }],
    ["empty jti", { kind: "jti", iss: ISS, jti: "", expiresAt: T0 }],
    ["sid not a string", { kind: "sid", iss: ISS, sid: 5, expiresAt: T0 }],
    ["sub without before", { kind: "sub", iss: ISS, sub: "alice", expiresAt: T0 }],
    ["expiresAt NaN", { kind: "jti", iss: ISS, jti: "a", expiresAt: Number.NaN }],
  ];
  test.each(cases)("%s", async (_name, revocation) => {
    const { store } = storeAt();
    await expect(store.add(revocation as Revocation)).rejects.toThrow(TypeError);
    expect(store.size).toBe(0);
  });
});
