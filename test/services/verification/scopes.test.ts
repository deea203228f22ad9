import { describe, expect, test } from "@jest/globals";
import { scopesFromClaims } from "../../../src/services/verification/scopes.js";
import type { VerifiedClaims } from "../../../src/types.js";

const claims = (extra: Record<string, unknown>): VerifiedClaims => ({ sub: "s", iss: "https://auth.example.com", exp: 2_000_000_000, ...extra });

describe("scopesFromClaims", () => {
  test.each([
    ["no scope claim", {}, []],
    ["scope: a space-delimited string (RFC 9068 §2.2.3)", { scope: "openid notes:read" }, ["openid", "notes:read"]],
    ["doubled, leading and trailing spaces", { scope: "  a  b " }, ["a", "b"]],
    ["an empty scope string", { scope: "" }, []],
    ["scp: an array of strings (Okta)", { scp: ["a", "b"] }, ["a", "b"]],
    ["scp: a space-delimited string (Azure)", { scp: "a b" }, ["a", "b"]],
    ["both claims: the union, each once", { scope: "a b", scp: ["b", "c"] }, ["a", "b", "c"]],
    ["duplicates", { scope: "a a b a" }, ["a", "b"]],
  ])("%s", (_name, extra, expected) => {
    expect(scopesFromClaims(claims(extra))).toEqual(expected);
  });

  test.each([
    ["scope as an array (not RFC 9068)", { scope: ["a", "b"] }],
    ["scope as a number", { scope: 7 }],
    ["scope as an object", { scope: { a: true } }],
    ["scope null", { scope: null }],
    ["scp with a non-string element", { scp: ["a", 1, "b"] }],
    ["scp with a nested array", { scp: [["a"]] }],
    ["scp as an object", { scp: { a: true } }],
    ["scp as a boolean", { scp: true }],
  ])("%s grants nothing", (_name, extra) => {
    expect(scopesFromClaims(claims(extra))).toEqual([]);
  });

  test("tabs and other whitespace are not separators (RFC 6749 §3.3: %x20 only)", () => {
    expect(scopesFromClaims(claims({ scope: "a\tb" }))).toEqual(["a\tb"]);
  });

  test("a well-formed claim still counts when the other one is malformed", () => {
    expect(scopesFromClaims(claims({ scope: "a", scp: [1] }))).toEqual(["a"]);
  });

  test("a large scope list is read in full", () => {
    const names = Array.from({ length: 2000 }, (_, i) => `s${i}`);
    expect(scopesFromClaims(claims({ scope: names.join(" ") }))).toEqual(names);
  });
});
