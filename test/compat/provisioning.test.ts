/**
 * 0.1.4's "User Provisioning" guide as a host app wrote it: a `users`
 * manager whose `findOrCreate(sub, { email, name })` returns
 * `{ id, role, isDisabled }`, next to the default classes. And what such a
 * host gets wrong: a disabled flag under another name, a manager named
 * `user`. Black-box: public exports, a real IOServer on 127.0.0.1, a real
 * JWKS, socket.io-client.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "@jest/globals";
import { BaseManager } from "ioserver";
import type { Socket as ClientSocket } from "socket.io-client";
import {
  createOidcLogger,
  ERR_USER_DISABLED,
  ERR_USER_PROVISION_FAILED,
  OidcConfigManager,
  oidcContainer,
  OidcHttpMiddleware,
  OidcSocketMiddleware,
  TOKENS,
} from "../../src/index.js";
import { TestIssuer } from "../../src/testing/index.js";
import { calls, ChatService, connectSocket, emitWithAck, ProfileController, startServer } from "../fixtures/app.js";
import { waitFor } from "../fixtures/doubles.js";

/** What the host's database answers per subject (a test sets it); unknown subjects are created. */
const answers = new Map<string, unknown>();
const lookups: [string, Record<string, unknown>][] = [];

/** The guide's UsersManager, with the database replaced by `answers`. */
class UsersManager extends BaseManager {
  async findOrCreate(sub: string, profile: { email: string | null; name: string | null }) {
    lookups.push([sub, profile]);
    const answer = answers.get(sub);
    if (answer instanceof Error) throw answer;
    return answers.has(sub) ? answer : { id: `local-${sub}`, role: "user", isDisabled: false };
  }
}

/** A manager registered under the singular name, which 0.1.x skipped as silently. */
class UserManager extends BaseManager {
  async findOrCreate() {
    return { id: "never-used", isDisabled: true };
  }
}

const logLines: string[] = [];
const logs = (): Record<string, unknown>[] => logLines.map((line) => JSON.parse(line) as Record<string, unknown>);

let issuer: TestIssuer;
let app: Awaited<ReturnType<typeof startServer>>;
const open: ClientSocket[] = [];

beforeAll(async () => {
  issuer = await TestIssuer.start({ audience: "provisioning-app" });
  Object.assign(process.env, issuer.env());
  oidcContainer.register(TOKENS.Logger, { useValue: createOidcLogger({ write: (line: string) => void logLines.push(line) }, "debug") });
  app = await startServer((server) => {
    server.addManager({ name: "oidcConfig", manager: OidcConfigManager });
    server.addManager({ name: "users", manager: UsersManager });
    server.addController({ name: "profile", controller: ProfileController, middlewares: [OidcHttpMiddleware], prefix: "/profile" });
    server.addService({ name: "chat", service: ChatService, middlewares: [OidcSocketMiddleware] });
  });
});
afterAll(async () => {
  await app.stop();
  await issuer.close();
});
beforeEach(() => {
  answers.clear();
  lookups.length = 0;
  calls.length = 0;
  logLines.length = 0;
});
afterEach(() => {
  for (const socket of open.splice(0)) socket.close();
});

async function http(sub: string, claims: Record<string, unknown> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${await issuer.mint({ sub, ...claims })}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function socket(sub: string) {
  const outcome = await connectSocket(app.url, "/chat", { auth: { token: await issuer.mint({ sub }) } });
  if (outcome.socket) open.push(outcome.socket);
  return outcome;
}

describe("the guide's users manager", () => {
  test("findOrCreate(sub, { email, name }) is called; userId is the local id, userRole the local role", async () => {
    answers.set("alice", { id: "42", role: "editor", isDisabled: false });
    const { status, body } = await http("alice", { email: "alice@example.com", name: "Alice", roles: ["viewer"] });
    expect(status).toBe(200);
    expect(body).toMatchObject({ sub: "alice", userId: "42", userRole: "editor", roles: ["viewer"] });
    expect(lookups).toEqual([["alice", expect.objectContaining({ email: "alice@example.com", name: "Alice" })]]);
  });

  test("the same on a socket", async () => {
    answers.set("bob", { id: 7, role: "user", isDisabled: false });
    const outcome = await socket("bob");
    expect(outcome.connected).toBe(true);
    expect(await emitWithAck(outcome.socket as ClientSocket, "whoami")).toMatchObject({ sub: "bob", userId: "7", userRole: "user" });
  });

  test("isDisabled: true is refused with 403 ERR_USER_DISABLED on HTTP and as connect_error on a socket, before any handler", async () => {
    answers.set("mallory", { id: "9", role: "admin", isDisabled: true });
    const { status, body } = await http("mallory");
    expect([status, body.code]).toEqual([403, ERR_USER_DISABLED]);
    const outcome = await socket("mallory");
    expect(outcome.error?.message).toBe(ERR_USER_DISABLED);
    expect(calls).toEqual([]);
  });

  test("a findOrCreate that throws: 500 ERR_USER_PROVISION_FAILED", async () => {
    answers.set("carol", new Error("database unreachable"));
    const { status, body } = await http("carol");
    expect([status, body.code]).toEqual([500, ERR_USER_PROVISION_FAILED]);
    expect(JSON.stringify(body)).not.toContain("database");
    expect((await socket("carol")).error?.message).toBe(ERR_USER_PROVISION_FAILED);
  });

  test("an answer of null: no local user, userId is sub", async () => {
    answers.set("dave", null);
    const { status, body } = await http("dave", { roles: ["admin"] });
    expect(status).toBe(200);
    expect(body).toMatchObject({ sub: "dave", userId: "dave", userRole: "admin" });
  });
});

describe("a disabled user is never let in under another field name", () => {
  test.each([
    ["{ id, disabled: true }", { id: "1", disabled: true }, "disabled"],
    ["{ id, enabled: false }", { id: "1", enabled: false }, "enabled"],
    ["{ id, banned: true }", { id: "1", banned: true }, "banned"],
    ["{ id, active: false }", { id: "1", active: false }, "active"],
    ['{ id, status: "disabled" }', { id: "1", status: "disabled" }, "status"],
  ])("%s: 500 ERR_USER_PROVISION_FAILED on both transports, and a warning naming the field", async (_name, answer, field) => {
    answers.set("eve", answer);
    const { status, body } = await http("eve");
    expect([status, body.code]).toEqual([500, ERR_USER_PROVISION_FAILED]);
    expect((await socket("eve")).error?.message).toBe(ERR_USER_PROVISION_FAILED);
    expect(calls).toEqual([]);
    const warnings = logs().filter((r) => r.code === ERR_USER_PROVISION_FAILED);
    expect(warnings).toHaveLength(2);
    for (const warning of warnings) {
      expect(warning).toMatchObject({ level: 40, reason: expect.stringContaining(`field "${field}" reads like an account state`) });
    }
  });

  test.each([
    ["an answer that is not an object", "local-1"],
    ["an answer without id", { role: "admin", isDisabled: false }],
    ['isDisabled as the string "false"', { id: "1", isDisabled: "false" }],
  ])("%s: 500 ERR_USER_PROVISION_FAILED", async (_name, answer) => {
    answers.set("frank", answer);
    const { status, body } = await http("frank");
    expect([status, body.code]).toEqual([500, ERR_USER_PROVISION_FAILED]);
  });

  test("isDisabled 1 / 0 (SQLite) keeps working: 1 refuses, 0 lets in", async () => {
    answers.set("grace", { id: 3, role: "user", isDisabled: 1 });
    expect((await http("grace")).status).toBe(403);
    answers.set("grace", { id: 3, role: "user", isDisabled: 0 });
    expect((await http("grace")).status).toBe(200);
  });
});

test("a manager registered as `user` with findOrCreate: warned once at startup (and still not used, as in 0.1.x)", async () => {
  const other = await startServer((server) => {
    server.addManager({ name: "oidcConfig", manager: OidcConfigManager });
    server.addManager({ name: "user", manager: UserManager });
    server.addController({ name: "profile", controller: ProfileController, middlewares: [OidcHttpMiddleware], prefix: "/profile" });
    server.addService({ name: "chat", service: ChatService, middlewares: [OidcSocketMiddleware] });
  });
  try {
    const warning = (r: Record<string, unknown>) => r.manager === "user" && r.level === 40;
    await waitFor(() => logs().some(warning), 2000, "the warning");
    const response = await fetch(`${other.url}/profile`, { headers: { authorization: `Bearer ${await issuer.mint({ sub: "henry" })}` } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Record<string, unknown>).userId).toBe("henry");
    expect(logs().filter(warning)).toHaveLength(1);
    expect(String(logs().find(warning)?.msg)).toContain('"users"');
  } finally {
    await other.stop();
  }
});
