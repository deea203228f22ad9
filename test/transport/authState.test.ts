import { expect, test } from "@jest/globals";
import type { AuthResult } from "../../src/services/AuthPipeline.js";
import { attachAuth, holdsRole, readAuth } from "../../src/transport/authState.js";

const result = (roles: string[], localRole?: string): AuthResult => ({
  context: { sub: "s", userId: "u", userRole: localRole ?? roles[0] ?? "user", roles, permissions: [], features: {} },
  claims: { sub: "s", iss: "i", exp: 1 },
  localRole,
});

test("attachAuth puts exactly the context fields on the target and keeps the result for guards", () => {
  const target: Record<string, unknown> = { id: "socket-1" };
  const auth = result(["admin"]);
  attachAuth(target, auth);
  expect(Object.fromEntries(Object.entries(target))).toEqual({ id: "socket-1", ...auth.context });
  expect(readAuth(target)).toBe(auth);
});

test("readAuth finds nothing on a target no authentication ran on, even one carrying look-alike fields", () => {
  expect(readAuth({ sub: "s", userRole: "admin", roles: ["admin"] })).toBeUndefined();
});

test("holdsRole: the token's roles count when there is no local role", () => {
  expect(holdsRole(result(["user", "admin"]), "admin")).toBe(true);
  expect(holdsRole(result(["user"]), "admin")).toBe(false);
});

test("holdsRole: a local role outranks the token's roles, both ways", () => {
  expect(holdsRole(result(["admin"], "user"), "admin")).toBe(false);
  expect(holdsRole(result([], "admin"), "admin")).toBe(true);
});
