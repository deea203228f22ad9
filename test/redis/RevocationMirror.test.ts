import { describe, expect, test } from "@jest/globals";
import { RevocationMirror } from "../../src/redis/RevocationMirror.js";

const ISS = "https://auth.example.com";
const NOW = 1_900_000_000_000;

describe("RevocationMirror (one node's in-process copy)", () => {
  test("apply() reports only what revokes something new, so listeners hear of a revocation once per node", () => {
    const mirror = new RevocationMirror();
    const jti = { kind: "jti", iss: ISS, jti: "t", expiresAt: NOW + 1000 } as const;
    expect(mirror.apply(jti, NOW)).toBe(true);
    expect(mirror.apply(jti, NOW)).toBe(false);
    expect(mirror.apply({ ...jti, expiresAt: NOW + 5000 }, NOW)).toBe(false);
    // Once expired, the same id revokes anew.
    expect(mirror.apply({ ...jti, expiresAt: NOW + 9000 }, NOW + 6000)).toBe(true);
    const sub = { kind: "sub", iss: ISS, sub: "bob", before: 100, expiresAt: NOW + 1000 } as const;
    expect(mirror.apply(sub, NOW)).toBe(true);
    expect(mirror.apply({ ...sub, before: 90 }, NOW)).toBe(false);
    expect(mirror.apply({ ...sub, before: 110 }, NOW)).toBe(true);
    expect(mirror.apply({ kind: "sid", iss: ISS, sid: "s", expiresAt: NOW - 1 }, NOW)).toBe(false);
  });

  test("sub before T: the latest live cut-off applies, and an earlier one with a later expiry still covers its tokens", () => {
    const mirror = new RevocationMirror();
    mirror.apply({ kind: "sub", iss: ISS, sub: "bob", before: 200, expiresAt: NOW + 1000 }, NOW);
    mirror.apply({ kind: "sub", iss: ISS, sub: "bob", before: 100, expiresAt: NOW + 5000 }, NOW);
    expect(mirror.isRevoked({ iss: ISS, sub: "bob", iat: 150 }, NOW)).toBe(true);
    expect(mirror.isRevoked({ iss: ISS, sub: "bob", iat: 150 }, NOW + 2000)).toBe(false);
    expect(mirror.isRevoked({ iss: ISS, sub: "bob", iat: 50 }, NOW + 2000)).toBe(true);
    expect(mirror.isRevoked({ iss: ISS, sub: "bob", iat: Number.NaN }, NOW)).toBe(true);
    expect(mirror.isRevoked({ iss: ISS, sub: "bob", iat: 200 }, NOW)).toBe(false);
  });

  test("entries() lists what is live (what a node writes back to an emptied Redis); prune() forgets the rest", () => {
    const mirror = new RevocationMirror();
    mirror.apply({ kind: "jti", iss: ISS, jti: "a", expiresAt: NOW + 10 }, NOW);
    mirror.apply({ kind: "sid", iss: ISS, sid: "b", expiresAt: NOW + 1000 }, NOW);
    mirror.apply({ kind: "sub", iss: ISS, sub: "c", before: 5, expiresAt: NOW + 1000 }, NOW);
    expect([...mirror.entries(NOW + 100)]).toEqual([
      { kind: "sid", iss: ISS, sid: "b", expiresAt: NOW + 1000 },
      { kind: "sub", iss: ISS, sub: "c", before: 5, expiresAt: NOW + 1000 },
    ]);
    expect(mirror.size).toBe(3);
    mirror.prune(NOW + 100);
    expect(mirror.size).toBe(2);
    mirror.prune(NOW + 1000);
    expect(mirror.size).toBe(0);
  });
});
