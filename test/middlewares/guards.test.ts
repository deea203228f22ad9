import { describe, expect, test } from "@jest/globals";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Socket } from "socket.io";
import {
  bindOidcMiddlewares,
  createOidcContainer,
  createOidcLogger,
  OidcHttpAdminMiddleware,
  OidcSocketAdminMiddleware,
  oidcContainer,
  requireEventPermissions,
  requirePermissions,
  requireRoles,
  TOKENS,
} from "../../src/index.js";
import { attachAuth } from "../../src/transport/authState.js";

/** A container whose logger keeps every record. */
function loggingContainer() {
  const records: Record<string, unknown>[] = [];
  const container = createOidcContainer();
  container.register(TOKENS.Logger, { useValue: createOidcLogger({ write: (line: string) => void records.push(JSON.parse(line)) }, "debug") });
  return { container, records };
}

/** Enough of a Fastify reply to see what a guard sends. */
function fakeReply() {
  const sent: { status?: number; headers: Record<string, string>; body?: unknown } = { headers: {} };
  const reply = {
    header: (name: string, value: string) => ((sent.headers[name] = value), reply),
    code: (status: number) => ((sent.status = status), reply),
    send: (body: unknown) => ((sent.body = body), reply),
  };
  return { reply: reply as unknown as FastifyReply, sent };
}

describe("guard classes and containers", () => {
  test("the exported factories make classes on the default container", () => {
    for (const cls of [requireRoles("a").http, requirePermissions("p").socket, requireEventPermissions({ e: "p" }), OidcHttpAdminMiddleware, OidcSocketAdminMiddleware]) {
      expect(cls.container).toBe(oidcContainer);
    }
  });

  test("bindOidcMiddlewares(c) binds the admin guards and every factory to c", () => {
    const c = createOidcContainer();
    const bound = bindOidcMiddlewares(c);
    for (const cls of [
      bound.requireRoles("a").http,
      bound.requireRoles("a").socket,
      bound.requirePermissions(["p", "q"], { mode: "any" }).http,
      bound.requireEventPermissions({ e: ["p"] }),
      bound.OidcHttpAdminMiddleware,
      bound.OidcSocketAdminMiddleware,
    ]) {
      expect(cls.container).toBe(c);
    }
    expect(bound.requirePermissions(["p", "q"], { mode: "any" }).requirement.description).toBe('one of the permissions "p", "q"');
  });

  test("a guard subclass with `static container` logs its refusals there, and refuses without authentication", async () => {
    const { container, records } = loggingContainer();
    const Guard = class extends requireRoles("admin").http {
      static override container = container;
    };
    const hook = new Guard().handle();
    const { reply, sent } = fakeReply();
    await hook({ url: "/x", routeOptions: { url: "/x" } } as unknown as FastifyRequest, reply);
    expect(sent.status).toBe(403);
    expect(sent.headers["WWW-Authenticate"]).toContain('error="insufficient_scope"');
    expect(records).toEqual([expect.objectContaining({ level: 40, code: "ERR_FORBIDDEN", required: 'role "admin"' })]);
  });

  test("a socket guard class made without a requirement admits nobody", () => {
    const { container } = loggingContainer();
    const Base = Object.getPrototypeOf(requireRoles("a").socket) as typeof OidcSocketAdminMiddleware;
    const Bare = class extends Base {
      static override container = container;
    };
    const errors: (Error | undefined)[] = [];
    const fakeSocket = { nsp: { name: "/n" } } as unknown as Socket;
    // Authenticated as an admin, yet refused: the bare class has no requirement to meet.
    attachAuth(fakeSocket, {
      context: { sub: "s", iss: "i", userId: "s", userRole: "admin", roles: ["admin"], permissions: [], scopes: [], features: {}, email: null, name: null },
      claims: { sub: "s", iss: "i", exp: 0 },
      localRole: undefined,
    });
    new Bare().handle()(fakeSocket, (err) => errors.push(err));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toBe("ERR_FORBIDDEN");
  });
});

describe("requireEventPermissions()", () => {
  test.each([
    [{}, "needs at least one event"],
    [{ e: [] }, 'event "e": permissions must list at least one name'],
    [{ e: 42 }, 'event "e"'],
    [null, "takes an object"],
    [["e"], "takes an object"],
  ])("rejects %j", (map, message) => {
    expect(() => requireEventPermissions(map as never)).toThrow(message);
  });

  test("accepts a permission, a list, or a guard", () => {
    const Guard = requireEventPermissions({ a: "p", b: ["p", "q"], c: requireRoles("mod"), d: requirePermissions(["x", "y"], { mode: "any" }) });
    expect([...Guard.requirements].map(([event, r]) => [event, r.description])).toEqual([
      ["a", 'the permissions "p"'],
      ["b", 'the permissions "p", "q"'],
      ["c", 'role "mod"'],
      ["d", 'one of the permissions "x", "y"'],
    ]);
  });
});
