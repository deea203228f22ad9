import { describe, expect, test } from "@jest/globals";
import { decodeMessage, encodeMessage, memberOf, revocationOf } from "../../src/redis/wire.js";
import { parseScoredMembers } from "../../src/redis/script.js";
import type { Revocation } from "../../src/services/sessions/RevocationStore.js";

const ISS = "https://auth.example.com";
const all: Revocation[] = [
  { kind: "jti", iss: ISS, jti: "j", expiresAt: 1 },
  { kind: "sid", iss: ISS, sid: "s", expiresAt: 2 },
  { kind: "sub", iss: ISS, sub: "u", before: 3, expiresAt: 4 },
];

describe("the Redis wire format", () => {
  test("a revocation is always the same member, and survives a round trip", () => {
    for (const r of all) {
      expect(memberOf({ ...r })).toBe(memberOf(r));
      expect(revocationOf(memberOf(r), r.expiresAt)).toEqual(r);
    }
    expect(decodeMessage(encodeMessage(all))).toEqual({ revocations: all, malformed: 0 });
  });

  test.each([
    ["not JSON", "nope"],
    ["not an array", '{"a":1}'],
  ])("a message that is %s is dropped whole", (_what, payload) => {
    expect(decodeMessage(payload)).toEqual({ revocations: [], malformed: 1 });
  });

  test("malformed entries are counted and skipped; the good ones kept", () => {
    const good = [memberOf(all[0] as Revocation), 1];
    const bad = [
      ["[\"jti\",\"\",\"x\"]", 1],
      ["[\"sub\",\"i\",\"u\"]", 1],
      ["[\"sub\",\"i\",\"u\",\"3\"]", 1],
      ["[\"zzz\",\"i\",\"u\"]", 1],
      ["[\"jti\",\"i\",\"x\",\"extra\"]", 1],
      [memberOf(all[0] as Revocation), "1"],
      [memberOf(all[0] as Revocation), null],
      "flat",
    ];
    expect(decodeMessage(JSON.stringify([good, ...bad]))).toEqual({ revocations: [all[0]], malformed: bad.length });
  });

  test("ZRANGE WITHSCORES replies over RESP2 (flat) and RESP3 (pairs) read the same", () => {
    const expected = new Map([["a", 1], ["b", 2]]);
    expect(parseScoredMembers(["a", "1", "b", "2"])).toEqual(expected);
    expect(parseScoredMembers([["a", 1], ["b", 2]])).toEqual(expected);
    expect(parseScoredMembers(null)).toEqual(new Map());
    expect(parseScoredMembers(["a", "not a number"])).toEqual(new Map());
  });
});
