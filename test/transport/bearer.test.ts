import { describe, expect, test } from "@jest/globals";
import { ERR_AUTH_TOKEN_INVALID, OidcError } from "../../src/errors.js";
import { bearerToken } from "../../src/transport/bearer.js";

const JWT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl";

describe("bearerToken: a credential is returned", () => {
  test.each(["Bearer", "bearer", "BEARER", "bEaReR"])("scheme %s (case-insensitive, RFC 7235 §2.1)", (scheme) => {
    expect(bearerToken(`${scheme} ${JWT}`)).toBe(JWT);
  });

  test("several spaces between scheme and token", () => {
    expect(bearerToken(`Bearer   ${JWT}`)).toBe(JWT);
  });

  test("every b64token character and trailing '=' padding (RFC 6750 §2.1)", () => {
    expect(bearerToken("Bearer aZ09-._~+/==")).toBe("aZ09-._~+/==");
  });

  test("a single-element header array (as some frameworks give it)", () => {
    expect(bearerToken([`Bearer ${JWT}`])).toBe(JWT);
  });
});

describe("bearerToken: no bearer credential presented (undefined → ERR_AUTH_TOKEN_REQUIRED upstream)", () => {
  test.each([
    ["no header", undefined],
    ["an empty header", ""],
    ["the scheme alone", "Bearer"],
    ["the scheme and spaces", "Bearer   "],
    ["another scheme", `Basic ${Buffer.from("u:p").toString("base64")}`],
    ["a scheme that only starts with Bearer", `Bearerx ${JWT}`],
    ["a token without scheme", JWT],
    ["an empty array", []],
  ])("%s", (_kind, header) => {
    expect(bearerToken(header as string | string[] | undefined)).toBeUndefined();
  });
});

describe("bearerToken: a malformed bearer credential is an invalid token", () => {
  test.each([
    ["two tokens", `Bearer ${JWT} ${JWT}`],
    ["a comma list", `Bearer ${JWT},x`],
    ["a quoted token", `Bearer "${JWT}"`],
    ["padding in the middle", "Bearer ab=cd"],
    ["a tab inside", `Bearer ${JWT}\tx`],
    ["non-ASCII", "Bearer tökén"],
  ])("%s", (_kind, header) => {
    expect(() => bearerToken(header)).toThrow(expect.objectContaining({ name: "OidcError", code: ERR_AUTH_TOKEN_INVALID }));
  });

  test("two Authorization headers", () => {
    expect(() => bearerToken([`Bearer ${JWT}`, `Bearer ${JWT}`])).toThrow(expect.objectContaining({ code: ERR_AUTH_TOKEN_INVALID }));
  });

  test("the error never echoes the credential", () => {
    try {
      bearerToken(`Bearer ${JWT} extra`);
      throw new Error("expected a throw");
    } catch (error) {
      expect(JSON.stringify((error as OidcError).toJSON())).not.toContain(JWT);
      expect((error as OidcError).reason ?? "").not.toContain(JWT);
    }
  });
});

describe("bearerToken: credentials accepted lately are recognised, never confused", () => {
  test("a malformed credential ending like one accepted just before is still refused", () => {
    const tail = "c2lnbmF0dXJlc2lnbmF0dXJl";
    expect(bearerToken(`Bearer header.payload.${tail}`)).toBe(`header.payload.${tail}`);
    expect(() => bearerToken(`Bearer header.pay load.${tail}`)).toThrow(OidcError);
    expect(() => bearerToken(`Bearer header.pay\tload.${tail}`)).toThrow(OidcError);
    expect(bearerToken(`Bearer header.payload.${tail}`)).toBe(`header.payload.${tail}`);
  });
});
