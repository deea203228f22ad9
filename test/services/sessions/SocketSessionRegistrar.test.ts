import { describe, expect, jest, test } from "@jest/globals";
import { createOidcContainer, scopeFor } from "../../../src/container.js";
import { AppHandleSessionRegistrar } from "../../../src/services/sessions/SocketSessionRegistrar.js";
import { TOKENS, type AppHandle } from "../../../src/tokens.js";

describe("AppHandleSessionRegistrar", () => {
  test("register calls appHandle.session.registerSocket(userId, socketId, sub)", async () => {
    const session = { registerSocket: jest.fn(), unregisterSocket: jest.fn() };
    await new AppHandleSessionRegistrar({ session }).register("local-1", "socket-1", "sub-1");
    expect(session.registerSocket).toHaveBeenCalledWith("local-1", "socket-1", "sub-1");
    expect(session.unregisterSocket).not.toHaveBeenCalled();
  });

  test("unregister calls appHandle.session.unregisterSocket(socketId, userId): the socket id first, as 0.1.x's guide has it", async () => {
    const session = { registerSocket: jest.fn(), unregisterSocket: jest.fn() };
    await new AppHandleSessionRegistrar({ session }).unregister("local-1", "socket-1");
    expect(session.unregisterSocket).toHaveBeenCalledWith("socket-1", "local-1");
    expect(session.registerSocket).not.toHaveBeenCalled();
  });

  test("waits for an asynchronous session manager and propagates its failure", async () => {
    const order: string[] = [];
    const session = {
      registerSocket: async () => {
        await Promise.resolve();
        order.push("stored");
      },
      unregisterSocket: async () => Promise.reject(new Error("redis down")),
    };
    const registrar = new AppHandleSessionRegistrar({ session });
    await registrar.register("u", "s", "sub");
    order.push("returned");
    expect(order).toEqual(["stored", "returned"]);
    await expect(registrar.unregister("u", "s")).rejects.toThrow("redis down");
  });

  test("keeps the session manager as `this`", async () => {
    class SessionManager {
      readonly sockets = new Map<string, string>();
      registerSocket(userId: string, socketId: string) {
        this.sockets.set(socketId, userId);
      }
      unregisterSocket(socketId: string) {
        this.sockets.delete(socketId);
      }
    }
    const session = new SessionManager();
    const registrar = new AppHandleSessionRegistrar({ session });
    await registrar.register("u", "s1", "sub");
    expect([...session.sockets]).toEqual([["s1", "u"]]);
    await registrar.unregister("u", "s1");
    expect(session.sockets.size).toBe(0);
  });

  test.each([
    ["no session manager", {}],
    ["a session manager without the methods", { session: {} }],
  ])("%s: register and unregister are no-ops", async (_kind, appHandle) => {
    const registrar = new AppHandleSessionRegistrar(appHandle as AppHandle);
    await expect(registrar.register("u", "s", "sub")).resolves.toBeUndefined();
    await expect(registrar.unregister("u", "s")).resolves.toBeUndefined();
  });
});

test("is the container's default SocketSessionRegistrar, bound to the scope's appHandle", async () => {
  const session = { registerSocket: jest.fn(), unregisterSocket: jest.fn() };
  const registrar = scopeFor(createOidcContainer(), { session }).resolve(TOKENS.SocketSessionRegistrar);
  expect(registrar).toBeInstanceOf(AppHandleSessionRegistrar);
  await registrar.register("u", "s", "sub");
  expect(session.registerSocket).toHaveBeenCalledWith("u", "s", "sub");
});
