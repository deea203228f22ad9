import { describe, expect, test } from "@jest/globals";
import { buildUserContext, profileFromClaims } from "../../../src/services/verification/claims.js";
import type { VerifiedClaims } from "../../../src/types.js";

const claims = (extra: Record<string, unknown> = {}): VerifiedClaims => ({ sub: "sub-1", iss: "https://auth.example.com", exp: 2_000_000_000, ...extra });

describe("buildUserContext: roles and permissions", () => {
  test("keep only string elements", () => {
    const context = buildUserContext(claims({ roles: ["admin", 1, null, { role: "x" }, "editor"], permissions: ["read", true, ["write"], "write"] }), undefined);
    expect(context.roles).toEqual(["admin", "editor"]);
    expect(context.permissions).toEqual(["read", "write"]);
  });

  test("drop empty strings, so userRole never becomes \"\"", () => {
    const context = buildUserContext(claims({ roles: ["", "admin"], permissions: ["", "read"] }), undefined);
    expect(context.roles).toEqual(["admin"]);
    expect(context.permissions).toEqual(["read"]);
    expect(context.userRole).toBe("admin");
  });

  test.each([["string", "admin"], ["array-like object", { 0: "admin", length: 1 }], ["number", 42], ["null", null], ["missing", undefined]])("a %s claim gives []", (_kind, value) => {
    const context = buildUserContext(claims({ roles: value, permissions: value }), undefined);
    expect(context.roles).toEqual([]);
    expect(context.permissions).toEqual([]);
  });

  test("are copies: changing the context does not change the claims", () => {
    const roles = ["admin"];
    const context = buildUserContext(claims({ roles }), undefined);
    context.roles.push("root");
    expect(roles).toEqual(["admin"]);
  });
});

describe("buildUserContext: features", () => {
  test("a plain object is kept, deeply copied", () => {
    const features = { beta: true, limits: { uploads: 5 }, tags: [{ name: "a" }, "b"] };
    const context = buildUserContext(claims({ features }), undefined);
    expect(context.features).toEqual(features);
    expect(context.features).not.toBe(features);
    expect(context.features.limits).not.toBe(features.limits);
  });

  test.each([["array", ["beta"]], ["string", "beta"], ["number", 1], ["null", null], ["missing", undefined], ["class instance", new Date(0)]])(
    "a %s gives {}",
    (_kind, value) => {
      expect(buildUserContext(claims({ features: value }), undefined).features).toEqual({});
    },
  );

  test("prototype-polluting keys are dropped at every depth", () => {
    const features = JSON.parse('{"ok":1,"__proto__":{"polluted":true},"nested":{"constructor":{"prototype":{"x":1}},"fine":2}}') as unknown;
    const context = buildUserContext(claims({ features }), undefined);
    expect(context.features).toEqual({ ok: 1, nested: { fine: 2 } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(context.features)).toBe(Object.prototype);
  });

  test("arrays are copied and cleaned at any depth: a key inside nested arrays cannot smuggle a prototype", () => {
    const features = JSON.parse('{"a":[[{"__proto__":{"admin":true},"ok":1}],[[{"deep":{"constructor":{"x":1},"y":2}}]]]}') as Record<string, unknown>;
    const context = buildUserContext(claims({ features }), undefined);
    expect(context.features).toEqual({ a: [[{ ok: 1 }], [[{ deep: { y: 2 } }]]] });
    const inner = (context.features.a as Record<string, unknown>[][])[0]![0]!;
    expect(Object.prototype.hasOwnProperty.call(inner, "__proto__")).toBe(false);
    expect(Object.getPrototypeOf(inner)).toBe(Object.prototype);
    expect((inner as { admin?: unknown }).admin).toBeUndefined();
    expect((context.features.a as unknown[])[0]).not.toBe((features.a as unknown[])[0]);
  });
});

describe("buildUserContext: userId and userRole fallbacks", () => {
  test("the local user's id and role win", () => {
    const context = buildUserContext(claims({ roles: ["admin"] }), { id: "local-9", role: "editor" });
    expect(context).toEqual({ sub: "sub-1", iss: "https://auth.example.com", userId: "local-9", userRole: "editor", roles: ["admin"], permissions: [], scopes: [], features: {}, email: null, name: null });
  });

  test("a numeric local id becomes a string (0 included)", () => {
    expect(buildUserContext(claims(), { id: 42 }).userId).toBe("42");
    expect(buildUserContext(claims(), { id: 0 }).userId).toBe("0");
  });

  test("without a local user: userId is sub, userRole is roles[0]", () => {
    const context = buildUserContext(claims({ roles: [7, "moderator", "admin"] }), null);
    expect(context.userId).toBe("sub-1");
    expect(context.userRole).toBe("moderator");
  });

  test("a local user without id or role falls back too", () => {
    const context = buildUserContext(claims({ roles: ["viewer"] }), { id: "", role: "" });
    expect(context.userId).toBe("sub-1");
    expect(context.userRole).toBe("viewer");
  });

  test('no local role and no roles: "user"', () => {
    expect(buildUserContext(claims(), undefined).userRole).toBe("user");
    expect(buildUserContext(claims({ roles: [] }), { id: 1 }).userRole).toBe("user");
  });
});

describe("profileFromClaims", () => {
  test("passes email, name and iss to the provisioner", () => {
    expect(profileFromClaims(claims({ email: "a@example.com", name: "Ann" }))).toEqual({ email: "a@example.com", name: "Ann", iss: "https://auth.example.com" });
  });

  test("non-string or absent email and name are null, as 0.1.x passed them", () => {
    expect(profileFromClaims(claims({ email: ["a@example.com"], name: 5 }))).toEqual({ email: null, name: null, iss: "https://auth.example.com" });
    expect(profileFromClaims(claims())).toEqual({ email: null, name: null, iss: "https://auth.example.com" });
  });
});
