import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "@jest/globals";
import type { Socket as ClientSocket } from "socket.io-client";
import {
  ERR_AUTH_TOKEN_INVALID,
  ERR_AUTH_TOKEN_REQUIRED,
  ERR_FORBIDDEN,
  ERR_USER_DISABLED,
  ERR_USER_PROVISION_FAILED,
  type OidcErrorCode,
} from "../../src/errors.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { calls, connectSocket, emitWithAck, type SocketOutcome } from "../fixtures/app.js";
import { waitFor } from "../fixtures/doubles.js";
import { startOidcApp, type OidcApp } from "../fixtures/oidcApp.js";

let issuer: TestIssuer;
let app: OidcApp;
const open: ClientSocket[] = [];

const directory = (sub: string) => {
  if (sub === "disabled") return { id: "local-disabled", role: "admin", isDisabled: true };
  if (sub === "broken") throw new Error("users table is locked");
  if (sub === "local-admin") return { id: 7, role: "admin" };
  if (sub === "demoted") return { id: 8, role: "user" };
  return undefined;
};

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256", audience: "chat-app" });
  app = await startOidcApp({ env: issuer.env(), users: directory });
});
afterAll(async () => {
  await app.stop();
  await issuer.close();
});
beforeEach(() => {
  calls.length = 0;
  app.userCalls.length = 0;
});
afterEach(async () => {
  for (const socket of open.splice(0)) socket.close();
  // The next test counts server-side sockets: wait until the server has seen these go.
  await waitFor(() => ["/chat", "/admin", "/guardonly"].every((ns) => app.connectedSockets(ns) === 0), 2000, "sockets to close");
});

async function connect(namespace: string, options: Parameters<typeof connectSocket>[2] = {}): Promise<SocketOutcome> {
  const outcome = await connectSocket(app.url, namespace, options);
  if (outcome.socket) open.push(outcome.socket);
  return outcome;
}

/** A connected socket's context, as the service sees it on the server-side socket. */
async function contextOf(outcome: SocketOutcome): Promise<unknown> {
  expect(outcome.error).toBeUndefined();
  expect(outcome.connected).toBe(true);
  return emitWithAck(outcome.socket as ClientSocket, "whoami");
}

/** The documented refusal: `message` = code, `data` = `{ code, statusCode, message }` (plus `reason: "expired"` for an expired token), nothing left connected, no service call. */
function expectRefusal(outcome: SocketOutcome, namespace: string, code: OidcErrorCode, statusCode: number): void {
  expect(outcome.connected).toBe(false);
  expect(outcome.error?.message).toBe(code);
  const data = outcome.error?.data as Record<string, unknown>;
  const { reason, ...rest } = data;
  expect(Object.keys(rest).sort()).toEqual(["code", "message", "statusCode"]);
  expect(reason === undefined || (reason === "expired" && data.message === "The access token has expired")).toBe(true);
  expect(data).toMatchObject({ code, statusCode });
  expect(typeof data.message).toBe("string");
  expect(app.connectedSockets(namespace)).toBe(0);
  expect(calls).toEqual([]);
}

describe("where the token comes from", () => {
  test("auth.token, raw", async () => {
    expect(await contextOf(await connect("/chat", { auth: { token: await issuer.mint({ sub: "alice" }) } }))).toMatchObject({ sub: "alice" });
  });

  test.each(["Bearer ", "bearer "])('auth.token with a "%s" prefix', async (prefix) => {
    expect(await contextOf(await connect("/chat", { auth: { token: `${prefix}${await issuer.mint({ sub: "alice" })}` } }))).toMatchObject({ sub: "alice" });
  });

  test("the Authorization header (extraHeaders), when auth.token is absent", async () => {
    const outcome = await connect("/chat", { headers: { authorization: `Bearer ${await issuer.mint({ sub: "from-header" })}` } });
    expect(await contextOf(outcome)).toMatchObject({ sub: "from-header" });
  });

  test("auth.token wins over the Authorization header", async () => {
    const outcome = await connect("/chat", {
      auth: { token: await issuer.mint({ sub: "from-auth" }) },
      headers: { authorization: `Bearer ${await issuer.mint({ sub: "from-header" })}` },
    });
    expect(await contextOf(outcome)).toMatchObject({ sub: "from-auth" });
  });
});

describe("the context on the socket", () => {
  test("exactly the six documented fields, from the token when there is no local user", async () => {
    const token = await issuer.mint({ sub: "alice", roles: ["moderator", 1], permissions: ["chat:write", {}], features: { rooms: { max: 3 } } });
    expect(await contextOf(await connect("/chat", { auth: { token } }))).toEqual({
      sub: "alice",
      userId: "alice",
      userRole: "moderator",
      roles: ["moderator"],
      permissions: ["chat:write"],
      features: { rooms: { max: 3 } },
    });
    expect(calls).toEqual(["socket:whoami"]);
  });

  test("the provisioner's id and role win; findOrCreate gets (sub, { email, name, iss })", async () => {
    const token = await issuer.mint({ sub: "local-admin", roles: ["user"], email: "a@example.com", name: "Ada" });
    expect(await contextOf(await connect("/chat", { auth: { token } }))).toMatchObject({ sub: "local-admin", userId: "7", userRole: "admin", roles: ["user"] });
    expect(app.userCalls).toEqual([["local-admin", { email: "a@example.com", name: "Ada", iss: issuer.issuer }]]);
  });
});

describe("refusals on /chat", () => {
  test.each([
    ["no auth and no header", {}],
    ["an empty auth.token", { auth: { token: "" } }],
    ["another scheme in the header", { headers: { authorization: "Basic dXNlcjpwYXNz" } }],
  ])("ERR_AUTH_TOKEN_REQUIRED (401): %s", async (_kind, options) => {
    expectRefusal(await connect("/chat", options), "/chat", ERR_AUTH_TOKEN_REQUIRED, 401);
    expect(app.userCalls).toEqual([]);
  });

  const invalid: [string, () => Promise<Parameters<typeof connectSocket>[2]>][] = [
    ["a forged token", async () => ({ auth: { token: await TestIssuer.forge({ iss: issuer.issuer, aud: "chat-app", sub: "x", exp: Math.floor(Date.now() / 1000) + 60 }, "ES256") } })],
    ["an expired token", async () => ({ auth: { token: await issuer.mint({}, { expiresIn: -60 }) } })],
    ["an expired token in the header", async () => ({ headers: { authorization: `Bearer ${await issuer.mint({}, { expiresIn: -60 })}` } })],
    ["garbage", async () => ({ auth: { token: "x.y.z" } })],
    ["a non-string auth.token", async () => ({ auth: { token: { jwt: "x" } } })],
    ["a token with spaces", async () => ({ auth: { token: "abc def" } })],
  ];
  test.each(invalid)("ERR_AUTH_TOKEN_INVALID (401): %s", async (_kind, options) => {
    expectRefusal(await connect("/chat", await options()), "/chat", ERR_AUTH_TOKEN_INVALID, 401);
    expect(app.userCalls).toEqual([]);
  });

  test("ERR_USER_DISABLED (403)", async () => {
    expectRefusal(await connect("/chat", { auth: { token: await issuer.mint({ sub: "disabled" }) } }), "/chat", ERR_USER_DISABLED, 403);
  });

  test("ERR_USER_PROVISION_FAILED (500)", async () => {
    const outcome = await connect("/chat", { auth: { token: await issuer.mint({ sub: "broken" }) } });
    expectRefusal(outcome, "/chat", ERR_USER_PROVISION_FAILED, 500);
    expect(JSON.stringify(outcome.error)).not.toContain("users table");
  });
});

describe("the admin namespace (OidcSocketMiddleware + OidcSocketAdminMiddleware)", () => {
  test("a token holding the admin role gets in", async () => {
    expect(await contextOf(await connect("/admin", { auth: { token: await issuer.mint({ sub: "root", roles: ["user", "admin"] }) } }))).toMatchObject({ sub: "root" });
  });

  test("a local admin role without admin in the token is refused: the token's roles decide (0.1.x's rule)", async () => {
    expectRefusal(await connect("/admin", { auth: { token: await issuer.mint({ sub: "local-admin" }) } }), "/admin", ERR_FORBIDDEN, 403);
  });

  test("ERR_FORBIDDEN (403) for a user without the admin role", async () => {
    expectRefusal(await connect("/admin", { auth: { token: await issuer.mint({ sub: "alice", roles: ["user"] }) } }), "/admin", ERR_FORBIDDEN, 403);
  });

  test("an admin claim in the token gets in whatever the local role", async () => {
    expect(await contextOf(await connect("/admin", { auth: { token: await issuer.mint({ sub: "demoted", roles: ["admin"] }) } }))).toMatchObject({ sub: "demoted", roles: ["admin"] });
  });

  test("authentication errors come first: no token is ERR_AUTH_TOKEN_REQUIRED, not ERR_FORBIDDEN", async () => {
    expectRefusal(await connect("/admin"), "/admin", ERR_AUTH_TOKEN_REQUIRED, 401);
  });
});

describe("the admin guard placed without OidcSocketMiddleware", () => {
  test("refuses even an admin token with ERR_FORBIDDEN, and logs why", async () => {
    const outcome = await connect("/guardonly", { auth: { token: await issuer.mint({ sub: "root", roles: ["admin"] }) } });
    expectRefusal(outcome, "/guardonly", ERR_FORBIDDEN, 403);
    expect(app.logs.records()).toContainEqual(
      expect.objectContaining({ level: 40, code: ERR_FORBIDDEN, namespace: "/guardonly", reason: expect.stringContaining("no authentication middleware") }),
    );
  });
});

test("a refused client can reconnect with a good token on the same namespace", async () => {
  expectRefusal(await connect("/chat"), "/chat", ERR_AUTH_TOKEN_REQUIRED, 401);
  expect(await contextOf(await connect("/chat", { auth: { token: await issuer.mint({ sub: "retry" }) } }))).toMatchObject({ sub: "retry" });
});
