import { expect, test } from "@jest/globals";
import { InMemoryUserProvisioner } from "../../src/testing/InMemoryUserProvisioner.js";

const profile = { iss: "https://issuer.test", email: "x@example.com" };

test("seeded users come back with their id, role and disabled flag", () => {
  const users = new InMemoryUserProvisioner([
    { sub: "alice", id: "u-a", role: "admin" },
    { sub: "mallory", isDisabled: true },
  ]);
  expect(users.findOrCreate("alice", profile)).toEqual({ id: "u-a", role: "admin", isDisabled: false });
  expect(users.findOrCreate("mallory", profile)).toEqual({ id: 1, role: undefined, isDisabled: true });
});

test("unknown subjects are created with the next id, never one given explicitly", () => {
  const users = new InMemoryUserProvisioner([{ sub: "alice", id: 7 }]);
  expect(users.findOrCreate("bob", profile)).toEqual({ id: 8, role: undefined, isDisabled: false });
  expect(users.size).toBe(2);
  expect(users.get("bob")).toEqual({ sub: "bob", id: 8, role: undefined, isDisabled: false, profile });
});

test("with createUnknown: false an unknown subject gets no local user", () => {
  const users = new InMemoryUserProvisioner([], { createUnknown: false });
  expect(users.findOrCreate("bob", profile)).toBeUndefined();
  expect(users.size).toBe(0);
});

test("disable, enable and setRole change what the next lookup returns", () => {
  const users = new InMemoryUserProvisioner([{ sub: "alice", id: 1, role: "admin" }]);
  users.disable("alice");
  expect(users.findOrCreate("alice", profile)).toMatchObject({ isDisabled: true });
  users.enable("alice");
  users.setRole("alice", "member");
  expect(users.findOrCreate("alice", profile)).toEqual({ id: 1, role: "member", isDisabled: false });
});

test("records lookups and the last profile; get() returns a copy", () => {
  const users = new InMemoryUserProvisioner();
  users.findOrCreate("alice", profile);
  users.findOrCreate("alice", { iss: "https://issuer.test", name: "Alice" });
  expect(users.lookups).toEqual(["alice", "alice"]);
  const copy = users.get("alice")!;
  expect(copy.profile).toEqual({ iss: "https://issuer.test", name: "Alice" });
  copy.isDisabled = true;
  expect(users.get("alice")!.isDisabled).toBe(false);
});

test("changing an unknown user or adding one without sub is a clear error", () => {
  const users = new InMemoryUserProvisioner();
  expect(() => users.disable("ghost")).toThrow('no user "ghost"');
  expect(() => users.add({ sub: "" })).toThrow("non-empty `sub`");
});

test("a seed naming the flag `disabled` (an untyped caller) is refused rather than read as an enabled user", () => {
  const seed = { sub: "mallory", disabled: true } as unknown as { sub: string };
  expect(() => new InMemoryUserProvisioner([seed])).toThrow("called `isDisabled`, not `disabled`");
});
