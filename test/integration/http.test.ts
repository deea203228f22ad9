import { afterAll, beforeAll, beforeEach, describe, expect, test } from "@jest/globals";
import {
  ERR_AUTH_TOKEN_INVALID,
  ERR_AUTH_TOKEN_REQUIRED,
  ERR_USER_DISABLED,
  ERR_USER_PROVISION_FAILED,
  type OidcErrorCode,
} from "../../src/errors.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { calls } from "../fixtures/app.js";
import { startOidcApp, type OidcApp } from "../fixtures/oidcApp.js";

let issuer: TestIssuer;
let app: OidcApp;

/** The host's user store: a few subjects with local records, the rest unknown. */
const directory = (sub: string) => {
  if (sub === "disabled") return { id: "local-disabled", isDisabled: true };
  if (sub === "broken") throw new Error("users table is locked");
  if (sub === "local") return { id: 42, role: "editor" };
  return undefined;
};

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "EdDSA", audience: "chat-app" });
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

const get = (authorization?: string) => fetch(`${app.url}/profile`, { headers: authorization === undefined ? {} : { authorization } });

/** Asserts the documented refusal: status, `{ statusCode, error, code, message }` body, and that the handler never ran. */
async function expectRefusal(response: Response, code: OidcErrorCode, statusCode: number, error: string): Promise<void> {
  expect(response.status).toBe(statusCode);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(response.headers.get("cache-control")).toBe("no-store");
  const body = (await response.json()) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(["code", "error", "message", "statusCode"]);
  expect(body).toMatchObject({ statusCode, error, code });
  expect(typeof body.message).toBe("string");
  expect(calls).toEqual([]);
}

describe("success", () => {
  test("a valid token reaches the handler with the context on the request", async () => {
    const token = await issuer.mint({ sub: "alice", roles: ["admin", 5, "ops"], permissions: ["read", null], features: { beta: true } });
    const response = await get(`Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: "alice", userId: "alice", userRole: "admin", roles: ["admin", "ops"], permissions: ["read"], features: { beta: true } });
    expect(calls).toEqual(["http:getProfile"]);
  });

  test('features that are not a plain object, and no roles: features {}, userRole "user"', async () => {
    const token = await issuer.mint({ sub: "bob", features: ["beta"] });
    expect(await (await get(`Bearer ${token}`)).json()).toMatchObject({ userRole: "user", roles: [], features: {} });
  });

  test("the lowercase `bearer` scheme is accepted (RFC 6750 §2.1)", async () => {
    const response = await get(`bearer ${await issuer.mint({ sub: "alice" })}`);
    expect(response.status).toBe(200);
    expect(calls).toEqual(["http:getProfile"]);
  });

  test("the local user's id and role win over sub and the token's roles", async () => {
    const token = await issuer.mint({ sub: "local", roles: ["admin"], email: "l@example.com", name: "Lou" });
    expect(await (await get(`Bearer ${token}`)).json()).toMatchObject({ sub: "local", userId: "42", userRole: "editor", roles: ["admin"] });
    expect(app.userCalls).toEqual([["local", { email: "l@example.com", name: "Lou", iss: issuer.issuer }]]);
  });

  test("every protected route of the controller is guarded", async () => {
    expect((await fetch(`${app.url}/profile/admin`)).status).toBe(401);
    const response = await fetch(`${app.url}/profile/admin`, { headers: { authorization: `Bearer ${await issuer.mint()}` } });
    expect(response.status).toBe(200);
    expect(calls).toEqual(["http:getAdmin"]);
  });
});

describe("ERR_AUTH_TOKEN_REQUIRED (401, challenge without error=)", () => {
  test.each([
    ["no Authorization header", undefined],
    ["another scheme", "Basic dXNlcjpwYXNz"],
    ["the scheme without a token", "Bearer"],
  ])("%s", async (_kind, authorization) => {
    const response = await get(authorization);
    // The DPoP scheme is offered beside Bearer (AUTH_SERVICE_DPOP=allowed by default, RFC 9449 §7.1).
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="api", DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519"');
    await expectRefusal(response, ERR_AUTH_TOKEN_REQUIRED, 401, "Unauthorized");
    expect(app.userCalls).toEqual([]);
  });
});

describe('ERR_AUTH_TOKEN_INVALID (401, error="invalid_token")', () => {
  const cases: [string, () => Promise<string>][] = [
    ["a forged signature", async () => `Bearer ${await TestIssuer.forge({ iss: issuer.issuer, aud: "chat-app", sub: "alice", exp: Math.floor(Date.now() / 1000) + 60 }, "EdDSA")}`],
    ["an expired token", async () => `Bearer ${await issuer.mint({}, { expiresIn: -60 })}`],
    ["a wrong audience", async () => `Bearer ${await issuer.mint({ aud: "other-app" })}`],
    ["a wrong issuer", async () => `Bearer ${await issuer.mint({ iss: "https://evil.example.com" })}`],
    ["a token without exp", async () => `Bearer ${await issuer.mint({}, { omit: ["exp"] })}`],
    ["garbage", async () => "Bearer not-a-jwt"],
    ["two credentials", async () => `Bearer ${await issuer.mint()} ${await issuer.mint()}`],
  ];
  test.each(cases)("%s", async (_kind, header) => {
    const response = await get(await header());
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer realm="api", error="invalid_token", error_description="[^"]+", DPoP algs="[^"]+"$/);
    await expectRefusal(response, ERR_AUTH_TOKEN_INVALID, 401, "Unauthorized");
    expect(app.userCalls).toEqual([]);
  });

  test("the response never echoes the token", async () => {
    const token = await issuer.mint({}, { expiresIn: -60 });
    const response = await get(`Bearer ${token}`);
    const raw = JSON.stringify([...response.headers]) + (await response.text());
    expect(raw).not.toContain(token);
    expect(raw).not.toContain(token.split(".")[2]);
  });
});

describe("refusals after a valid token", () => {
  test("ERR_USER_DISABLED (403, no challenge): the provisioner's isDisabled is honoured", async () => {
    const response = await get(`Bearer ${await issuer.mint({ sub: "disabled", roles: ["admin"] })}`);
    expect(response.headers.get("www-authenticate")).toBeNull();
    await expectRefusal(response, ERR_USER_DISABLED, 403, "Forbidden");
    expect(app.userCalls.map(([sub]) => sub)).toEqual(["disabled"]);
  });

  test("ERR_USER_PROVISION_FAILED (500): the host's error stays in the server log", async () => {
    const response = await get(`Bearer ${await issuer.mint({ sub: "broken" })}`);
    expect(response.headers.get("www-authenticate")).toBeNull();
    const clone = response.clone();
    await expectRefusal(response, ERR_USER_PROVISION_FAILED, 500, "Internal Server Error");
    expect(await clone.text()).not.toContain("users table");
    expect(app.logs.records()).toContainEqual(expect.objectContaining({ code: ERR_USER_PROVISION_FAILED, reason: "users table is locked", transport: "http" }));
  });
});
