import { describe, expect, test } from "@jest/globals";
import { ERR_USER_PROVISION_FAILED, OidcError } from "../../src/errors.js";
import { ACCOUNT_STATE_ALIASES, checkProvisionedUser } from "../../src/services/provisionedUser.js";

function refusalOf(answer: unknown): OidcError {
  try {
    checkProvisionedUser(answer);
  } catch (error) {
    expect(error).toBeInstanceOf(OidcError);
    expect((error as OidcError).code).toBe(ERR_USER_PROVISION_FAILED);
    return error as OidcError;
  }
  throw new Error(`expected ${JSON.stringify(answer)} to be refused`);
}

describe("accepted answers", () => {
  test.each([
    ["null", null, undefined],
    ["undefined", undefined, undefined],
    ["id only", { id: "u-1" }, { id: "u-1", role: undefined, isDisabled: false }],
    ["numeric id, role, isDisabled false", { id: 7, role: "editor", isDisabled: false }, { id: 7, role: "editor", isDisabled: false }],
    ["isDisabled true", { id: 7, isDisabled: true }, { id: 7, role: undefined, isDisabled: true }],
    ["SQLite's 1 and 0", { id: 7, isDisabled: 1 }, { id: 7, role: undefined, isDisabled: true }],
    ["SQLite's 0", { id: 7, isDisabled: 0 }, { id: 7, role: undefined, isDisabled: false }],
    ["NULL columns", { id: 7, role: null, isDisabled: null }, { id: 7, role: undefined, isDisabled: false }],
    ["other fields are ignored", { id: 7, email: "a@example.com", createdAt: new Date(0), sub: "s" }, { id: 7, role: undefined, isDisabled: false }],
  ])("%s", (_name, answer, expected) => {
    expect(checkProvisionedUser(answer)).toEqual(expected);
  });

  test("a class instance (an ORM entity) is read through its properties", () => {
    class Row {
      constructor(readonly id: number, readonly role: string, readonly isDisabled: boolean) {}
    }
    expect(checkProvisionedUser(new Row(3, "admin", true))).toEqual({ id: 3, role: "admin", isDisabled: true });
  });
});

describe("answers of another shape are refused, naming what is wrong", () => {
  test.each([
    ["a string", "u-1", /got string/],
    ["a number", 42, /got number/],
    ["an array", [{ id: 1 }], /got an array/],
    ["no id", { role: "admin" }, /field "id" must be a non-empty string or a finite number, got undefined/],
    ["an empty id", { id: "" }, /field "id" .* got an empty string/],
    ["a NaN id", { id: Number.NaN }, /field "id"/],
    ["an infinite id", { id: Number.POSITIVE_INFINITY }, /field "id"/],
    ["an object id", { id: { $oid: "x" } }, /field "id" .* got object/],
    ["a numeric role", { id: 1, role: 3 }, /field "role" must be a string, got number/],
    ["isDisabled as a string", { id: 1, isDisabled: "false" }, /field "isDisabled" must be true or false \(or 1\/0\), got string/],
    ["isDisabled 2", { id: 1, isDisabled: 2 }, /field "isDisabled" .* got 2/],
  ])("%s", (_name, answer, reason) => {
    expect(refusalOf(answer).reason).toMatch(reason);
  });
});

describe("a disabled flag under another name is refused whatever its value", () => {
  test.each([
    [{ id: 1, disabled: true }, "disabled"],
    [{ id: 1, disabled: false }, "disabled"],
    [{ id: 1, enabled: false }, "enabled"],
    [{ id: 1, isEnabled: true }, "isEnabled"],
    [{ id: 1, active: false }, "active"],
    [{ id: 1, is_active: 0 }, "is_active"],
    [{ id: 1, banned: true }, "banned"],
    [{ id: 1, isBanned: true }, "isBanned"],
    [{ id: 1, is_disabled: true }, "is_disabled"],
    [{ id: 1, IsDisabled: true }, "IsDisabled"],
    [{ id: 1, disabledAt: "2024-01-01" }, "disabledAt"],
    [{ id: 1, status: "disabled" }, "status"],
    [{ id: 1, isDisabled: false, suspended: true }, "suspended"],
    [{ id: 1, locked: true }, "locked"],
    [{ id: 1, deleted_at: null }, "deleted_at"],
  ])("%j", (answer, field) => {
    const error = refusalOf(answer);
    expect(error.reason).toContain(`field "${field}" reads like an account state`);
    expect(error.message).toBe("The user account could not be loaded");
  });

  test("every documented alias is refused, in any case and with _ or -", () => {
    for (const alias of ACCOUNT_STATE_ALIASES) {
      expect(refusalOf({ id: 1, [alias]: true }).reason).toContain(`"${alias}"`);
      expect(refusalOf({ id: 1, [alias.toUpperCase()]: true }).reason).toContain(alias.toUpperCase());
    }
  });
});
