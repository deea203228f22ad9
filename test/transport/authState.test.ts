import { expect, test } from "@jest/globals";
import type { AuthResult } from "../../src/services/AuthPipeline.js";
import { attachAuth, readAuth } from "../../src/transport/authState.js";

const result = (roles: string[], localRole?: string): AuthResult => ({
  context: { sub: "s", iss: "i", userId: "u", userRole: localRole ?? roles[0] ?? "user", roles, permissions: [], scopes: [], features: {}, email: null, name: null },
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

test("the public fields are copies: a handler editing them changes neither the recorded identity nor another carrier", () => {
  const auth = result(["user"]);
  const request: Record<string, unknown> = {};
  const socket: Record<string, unknown> = {};
  attachAuth(request, { ...auth, context: { ...auth.context, permissions: ["read"], features: { limits: { uploads: 5 } } } });
  attachAuth(socket, readAuth(request)!);
  (request.roles as string[]).push("admin");
  (request.permissions as string[]).push("write");
  (request.features as { limits: { uploads: number } }).limits.uploads = 500;
  expect(readAuth(request)?.context).toMatchObject({ roles: ["user"], permissions: ["read"], features: { limits: { uploads: 5 } } });
  expect(socket).toMatchObject({ roles: ["user"], permissions: ["read"], features: { limits: { uploads: 5 } } });
});

test("readAuth finds nothing on a target no authentication ran on, even one carrying look-alike fields", () => {
  expect(readAuth({ sub: "s", userRole: "admin", roles: ["admin"] })).toBeUndefined();
});

test("email, name and org_id are copied too, and a re-authentication without org_id removes the previous one", () => {
  const base = result(["user"]);
  const withOrg: AuthResult = { ...base, context: { ...base.context, email: "a@example.com", name: "A", org_id: "org-1" } };
  const socket: Record<string, unknown> = {};
  attachAuth(socket, withOrg);
  expect(socket).toMatchObject({ email: "a@example.com", name: "A", org_id: "org-1" });
  socket.org_id = "org-forged";
  expect(readAuth(socket)?.context.org_id).toBe("org-1");
  attachAuth(socket, base);
  expect(socket).not.toHaveProperty("org_id");
  expect(socket).toMatchObject({ email: null, name: null });
});
