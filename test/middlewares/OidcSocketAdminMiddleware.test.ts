import { expect, test } from "@jest/globals";
import type { Socket } from "socket.io";
import { bindOidcMiddlewares } from "../../src/bindOidcMiddlewares.js";
import { createOidcContainer } from "../../src/container.js";
import { ERR_FORBIDDEN } from "../../src/errors.js";
import type { RoleSource } from "../../src/config.js";
import type { AuthResult } from "../../src/services/AuthPipeline.js";
import { TOKENS } from "../../src/tokens.js";
import { attachAuth } from "../../src/transport/authState.js";
import { captureLogger } from "../fixtures/doubles.js";

function guard() {
  const logs = captureLogger();
  const container = createOidcContainer();
  container.register(TOKENS.Logger, { useValue: logs.logger });
  return { handle: new (bindOidcMiddlewares(container).OidcSocketAdminMiddleware)().handle(), logs };
}

const socketWith = (result?: { roles: string[]; localRole?: string; roleSource?: RoleSource }) => {
  const socket = { nsp: { name: "/admin" }, handshake: {} } as unknown as Socket;
  if (result) {
    const auth: AuthResult = {
      context: { sub: "s", iss: "i", userId: "u", userRole: result.localRole ?? result.roles[0] ?? "user", roles: result.roles, permissions: [], scopes: [], features: {}, email: null, name: null },
      claims: { sub: "s", iss: "i", exp: 1 },
      localRole: result.localRole,
      roleSource: result.roleSource,
    };
    attachAuth(socket, auth);
  }
  return socket;
};

function nextArgs(handle: ReturnType<typeof guard>["handle"], socket: Socket): unknown[][] {
  const calls: unknown[][] = [];
  handle(socket, (...args: unknown[]) => void calls.push(args));
  return calls;
}

test("an admin passes, synchronously, with next() once", () => {
  expect(nextArgs(guard().handle, socketWith({ roles: ["admin"] }))).toEqual([[]]);
});

test("a non-admin gets ERR_FORBIDDEN (logged at info with the sub)", () => {
  const { handle, logs } = guard();
  const calls = nextArgs(handle, socketWith({ roles: ["user"] }));
  expect(calls).toHaveLength(1);
  expect((calls[0]?.[0] as Error).message).toBe(ERR_FORBIDDEN);
  expect((calls[0]?.[0] as Error & { data: unknown }).data).toEqual({ code: ERR_FORBIDDEN, statusCode: 403, message: 'The role "admin" is required' });
  expect(logs.records()).toEqual([expect.objectContaining({ level: 30, code: ERR_FORBIDDEN, sub: "s" })]);
});

test("by default (0.1.x's rule) the token's roles decide: a local role neither locks out nor lets in", () => {
  expect(nextArgs(guard().handle, socketWith({ roles: ["admin"], localRole: "user" }))).toEqual([[]]);
  const calls = nextArgs(guard().handle, socketWith({ roles: [], localRole: "admin" }));
  expect((calls[0]?.[0] as Error).message).toBe(ERR_FORBIDDEN);
});

test("with role source local-first a local role outranks the token's roles", () => {
  expect(nextArgs(guard().handle, socketWith({ roles: [], localRole: "admin", roleSource: "local-first" }))).toEqual([[]]);
  const calls = nextArgs(guard().handle, socketWith({ roles: ["admin"], localRole: "user", roleSource: "local-first" }));
  expect((calls[0]?.[0] as Error).message).toBe(ERR_FORBIDDEN);
});

test("without an authentication middleware before it: ERR_FORBIDDEN and a warning saying why", () => {
  const { handle, logs } = guard();
  const calls = nextArgs(handle, socketWith());
  expect((calls[0]?.[0] as Error).message).toBe(ERR_FORBIDDEN);
  expect(logs.records()).toEqual([expect.objectContaining({ level: 40, namespace: "/admin", reason: expect.stringContaining("no authentication middleware ran") })]);
});

test("fields that merely look like a context do not make an admin", () => {
  const socket = Object.assign(socketWith(), { roles: ["admin"], userRole: "admin" });
  expect((nextArgs(guard().handle, socket)[0]?.[0] as Error).message).toBe(ERR_FORBIDDEN);
});
