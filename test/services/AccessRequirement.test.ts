import { describe, expect, test } from "@jest/globals";
import type { AuthResult, RoleSource } from "../../src/index.js";
import { holdsRole, permissionRequirement, roleRequirement, scopeRequirement } from "../../src/services/AccessRequirement.js";

const auth = (roles: string[], permissions: string[], localRole?: string, roleSource?: RoleSource): AuthResult => ({
  context: { sub: "s", iss: "i", userId: "s", userRole: localRole ?? roles[0] ?? "user", roles, permissions, scopes: [], features: {}, email: null, name: null },
  claims: { sub: "s", iss: "i", exp: 0 },
  localRole,
  roleSource,
});

describe("roleRequirement", () => {
  test("one role", () => {
    const admin = roleRequirement(["admin"]);
    expect(admin.unmet(auth(["admin"], []))).toBeUndefined();
    expect(admin.unmet(auth(["user"], []))).toBe('The role "admin" is required');
    expect(admin.description).toBe('role "admin"');
  });

  test("several roles: any one of them", () => {
    const staff = roleRequirement(["editor", "admin"]);
    expect(staff.unmet(auth(["admin"], []))).toBeUndefined();
    expect(staff.unmet(auth([], []))).toBe('One of the roles "editor", "admin" is required');
  });

  test("holdsRole: without a local role, the token's roles count", () => {
    expect(holdsRole(auth(["user", "admin"], []), "admin")).toBe(true);
    expect(holdsRole(auth(["user"], []), "admin")).toBe(false);
  });

  test.each([[undefined], ["token" as const]])("role source %s (the default, 0.1.x's rule): only the token's roles count", (source) => {
    expect(holdsRole(auth(["admin"], [], "user", source), "admin")).toBe(true);
    expect(holdsRole(auth([], [], "admin", source), "admin")).toBe(false);
    expect(roleRequirement(["admin"]).unmet(auth(["admin"], [], "user", source))).toBeUndefined();
  });

  test("role source local-first: the provisioner's role, when it gave one, decides alone", () => {
    expect(holdsRole(auth(["admin"], [], "user", "local-first"), "admin")).toBe(false);
    expect(holdsRole(auth([], [], "admin", "local-first"), "admin")).toBe(true);
    expect(holdsRole(auth(["admin"], [], undefined, "local-first"), "admin")).toBe(true);
    expect(roleRequirement(["admin"]).unmet(auth(["admin"], [], "user", "local-first"))).toBeDefined();
  });

  test.each([[[]], [[""]], [[42]], ["admin"]])("bad roles %j are a TypeError", (roles) => {
    expect(() => roleRequirement(roles as string[])).toThrow(TypeError);
  });
});

describe("permissionRequirement", () => {
  test('mode "all" (default) names only what is missing', () => {
    const rw = permissionRequirement(["r", "w"]);
    expect(rw.unmet(auth([], ["w", "r"]))).toBeUndefined();
    expect(rw.unmet(auth([], ["r"]))).toBe('Missing permission: "w"');
    expect(rw.unmet(auth([], []))).toBe('Missing permissions: "r", "w"');
  });

  test('mode "any"', () => {
    const rw = permissionRequirement(["r", "w"], "any");
    expect(rw.unmet(auth([], ["w"]))).toBeUndefined();
    expect(rw.unmet(auth([], ["x"]))).toBe('One of the permissions "r", "w" is required');
  });

  test("a single permission may be a string; roles never count as permissions", () => {
    expect(permissionRequirement("r").unmet(auth(["r"], []))).toBe('Missing permission: "r"');
  });

  test("bad input is a TypeError naming the option", () => {
    expect(() => permissionRequirement([])).toThrow("permissions must list at least one name");
    expect(() => permissionRequirement(["r"], "most" as "all")).toThrow('mode must be "all" or "any"');
  });
});

describe("scopeRequirement", () => {
  const withScopes = (scopes: string[]): AuthResult => {
    const base = auth([], []);
    return { ...base, context: { ...base.context, scopes } };
  };

  test("mode all (default): names exactly the missing scopes; carries the required ones for the challenge", () => {
    const requirement = scopeRequirement(["notes:read", "notes:write"]);
    expect(requirement.scope).toBe("notes:read notes:write");
    expect(requirement.unmet(withScopes(["notes:read", "notes:write", "x"]))).toBeUndefined();
    expect(requirement.unmet(withScopes(["notes:read"]))).toBe('Missing scope: "notes:write"');
    expect(requirement.unmet(withScopes([]))).toBe('Missing scopes: "notes:read", "notes:write"');
  });

  test("mode any: one is enough", () => {
    const requirement = scopeRequirement(["a", "b"], "any");
    expect(requirement.unmet(withScopes(["b"]))).toBeUndefined();
    expect(requirement.unmet(withScopes(["c"]))).toBe('One of the scopes "a", "b" is required');
  });

  test("roles and permissions are not scopes", () => {
    const base = auth(["notes:read"], ["notes:read"]);
    expect(scopeRequirement("notes:read").unmet(base)).toBe('Missing scope: "notes:read"');
  });

  test.each([[[]], [[""]], [["a b"]], [['a"']], [["a\\b"]], [["é"]], [[1]]])("%j is refused when the guard is made", (scopes) => {
    expect(() => scopeRequirement(scopes as string[])).toThrow(TypeError);
  });

  test("an unknown mode is refused", () => {
    expect(() => scopeRequirement("a", "some" as "any")).toThrow(/mode/);
  });
});
