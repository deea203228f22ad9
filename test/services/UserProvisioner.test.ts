import { describe, expect, jest, test } from "@jest/globals";
import { createOidcContainer, scopeFor } from "../../src/container.js";
import { AppHandleUserProvisioner } from "../../src/services/UserProvisioner.js";
import { TOKENS, type AppHandle } from "../../src/tokens.js";
import { captureLogger } from "../fixtures/doubles.js";

const PROFILE = { email: "a@example.com", name: "Ann", iss: "https://auth.example.com" };

describe("AppHandleUserProvisioner", () => {
  test("calls appHandle.users.findOrCreate(sub, { email, name, iss }) and returns its user", async () => {
    const findOrCreate = jest.fn(async (_sub: string, _profile: Record<string, unknown>) => ({ id: 12, role: "editor", isDisabled: false }));
    const provisioner = new AppHandleUserProvisioner({ users: { findOrCreate } });
    await expect(provisioner.findOrCreate("sub-1", PROFILE)).resolves.toEqual({ id: 12, role: "editor", isDisabled: false });
    expect(findOrCreate).toHaveBeenCalledTimes(1);
    expect(findOrCreate).toHaveBeenCalledWith("sub-1", PROFILE);
  });

  test("hands the host a copy of the profile: the host cannot alter the package's object", async () => {
    let received: Record<string, unknown> | undefined;
    const provisioner = new AppHandleUserProvisioner({ users: { findOrCreate: (_sub, profile) => (received = profile) && { id: 1 } } });
    const profile = { ...PROFILE };
    await provisioner.findOrCreate("sub-1", profile);
    expect(received).toEqual(profile);
    expect(received).not.toBe(profile);
  });

  test("keeps the users manager as `this` (managers are classes with state)", async () => {
    class UsersManager {
      private readonly known = new Map([["sub-1", { id: "local-1" }]]);
      findOrCreate(sub: string) {
        return this.known.get(sub);
      }
    }
    const provisioner = new AppHandleUserProvisioner({ users: new UsersManager() });
    await expect(provisioner.findOrCreate("sub-1", PROFILE)).resolves.toEqual({ id: "local-1" });
  });

  test("a rejection of the host's findOrCreate propagates (the pipeline turns it into ERR_USER_PROVISION_FAILED)", async () => {
    const provisioner = new AppHandleUserProvisioner({ users: { findOrCreate: async () => Promise.reject(new Error("db down")) } });
    await expect(provisioner.findOrCreate("sub-1", PROFILE)).rejects.toThrow("db down");
  });

  test.each([
    ["no users manager", {}],
    ["a users manager without findOrCreate", { users: {} }],
    ["a findOrCreate that is not a function", { users: { findOrCreate: "nope" } }],
  ])("%s: a no-op returning undefined", async (_kind, appHandle) => {
    await expect(new AppHandleUserProvisioner(appHandle as AppHandle).findOrCreate("sub-1", PROFILE)).resolves.toBeUndefined();
  });
});

describe("a manager named `user` (singular)", () => {
  const singular = () => ({ user: { findOrCreate: jest.fn(async () => ({ id: 1, isDisabled: true })) } });

  test("is not used, as in 0.1.x, but warned about once per app, when the middlewares are set up", async () => {
    const logs = captureLogger();
    const appHandle = singular();
    const first = new AppHandleUserProvisioner(appHandle, logs.logger);
    new AppHandleUserProvisioner(appHandle, logs.logger);
    await expect(first.findOrCreate("sub-1", PROFILE)).resolves.toBeUndefined();
    expect(appHandle.user.findOrCreate).not.toHaveBeenCalled();
    expect(logs.records()).toEqual([expect.objectContaining({ level: 40, manager: "user", msg: expect.stringContaining('register it as "users"') })]);
  });

  test("a manager added after the middlewares were set up is warned about on the first lookup", async () => {
    const logs = captureLogger();
    const appHandle: AppHandle = {};
    const provisioner = new AppHandleUserProvisioner(appHandle, logs.logger);
    expect(logs.records()).toEqual([]);
    Object.assign(appHandle, singular());
    await provisioner.findOrCreate("sub-1", PROFILE);
    await provisioner.findOrCreate("sub-1", PROFILE);
    expect(logs.records()).toHaveLength(1);
  });

  test("no warning when `users` exists too, or `user` has no findOrCreate", () => {
    const logs = captureLogger();
    new AppHandleUserProvisioner({ ...singular(), users: { findOrCreate: async () => ({ id: 1 }) } }, logs.logger);
    new AppHandleUserProvisioner({ user: { name: "a user-agent parser" } }, logs.logger);
    expect(logs.records()).toEqual([]);
  });
});

describe("in the container", () => {
  test("is the default UserProvisioner, and each middleware scope adapts its own appHandle", async () => {
    const container = createOidcContainer();
    const a = { users: { findOrCreate: jest.fn(async () => ({ id: "from-a" })) } };
    const b = { users: { findOrCreate: jest.fn(async () => ({ id: "from-b" })) } };
    const provisionerA = scopeFor(container, a).resolve(TOKENS.UserProvisioner);
    const provisionerB = scopeFor(container, b).resolve(TOKENS.UserProvisioner);
    expect(provisionerA).toBeInstanceOf(AppHandleUserProvisioner);
    await expect(provisionerA.findOrCreate("s", PROFILE)).resolves.toEqual({ id: "from-a" });
    await expect(provisionerB.findOrCreate("s", PROFILE)).resolves.toEqual({ id: "from-b" });
    expect(a.users.findOrCreate).toHaveBeenCalledTimes(1);
    expect(b.users.findOrCreate).toHaveBeenCalledTimes(1);
  });

  test("a scope without an appHandle gets a no-op provisioner", async () => {
    await expect(scopeFor(createOidcContainer(), undefined).resolve(TOKENS.UserProvisioner).findOrCreate("s", PROFILE)).resolves.toBeUndefined();
  });
});
