import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { OidcConfigManager, OidcHttpMiddleware, OidcSocketAdminMiddleware, OidcSocketMiddleware } from "../../src/index.js";
import { TestIssuer } from "../../src/testing/index.js";
import { httpWhoami, setEnv, socketWhoami, startHost, WhoamiController, WhoamiService, type Host } from "./harness.js";

// 0.1.4's error tables (README "Error codes", guides "Error Handling", the middleware pages) and its provisioning guide.
let issuer: TestIssuer;
let host: Host;
const provisioned: [string, Record<string, unknown>][] = [];

/** The guide's "users" manager: findOrCreate(sub, { email, name }) → { id, role, isDisabled }. */
class UsersManager {
  async findOrCreate(sub: string, profile: { email: string | null; name: string | null }) {
    provisioned.push([sub, profile]);
    if (sub === "broken") throw new Error("database unreachable");
    return { id: `local-${sub}`, role: "user", isDisabled: sub === "disabled" };
  }
}

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256", audience: "compat-app" });
  setEnv({ AUTH_SERVICE_URL: issuer.url, AUTH_SERVICE_APP_SLUG: "compat-app" });
  host = await startHost((server) => {
    server.addManager({ name: "oidcConfig", manager: OidcConfigManager });
    server.addManager({ name: "users", manager: UsersManager });
    server.addController({ name: "whoami", controller: WhoamiController, middlewares: [OidcHttpMiddleware], prefix: "/whoami" });
    server.addService({ name: "chat", service: WhoamiService, middlewares: [OidcSocketMiddleware] });
    server.addService({ name: "users", service: WhoamiService, middlewares: [OidcSocketMiddleware, OidcSocketAdminMiddleware] });
  });
});
afterAll(async () => {
  await host.stop();
  await issuer.close();
});

const bearer = async (claims: Record<string, unknown>, options?: Parameters<TestIssuer["mint"]>[1]) => ({ authorization: `Bearer ${await issuer.mint(claims, options)}` });
const body = (statusCode: number, error: string, code: string) => ({ statusCode, error, code, message: expect.any(String) });

test("no Authorization header, or one that is not Bearer: 401 ERR_AUTH_TOKEN_REQUIRED with the documented body", async () => {
  expect(await httpWhoami(host.url)).toEqual({ status: 401, body: body(401, "Unauthorized", "ERR_AUTH_TOKEN_REQUIRED") });
  expect(await httpWhoami(host.url, { authorization: "Basic YWRhOnB3" })).toEqual({ status: 401, body: body(401, "Unauthorized", "ERR_AUTH_TOKEN_REQUIRED") });
});

test("a token that fails signature or claims verification: 401 ERR_AUTH_TOKEN_INVALID", async () => {
  const cases = [
    { authorization: "Bearer not-a-jwt" },
    await bearer({}, { expiresIn: -60 }),
    await bearer({ aud: "another-app" }),
    await bearer({ iss: "https://evil.example.com" }),
    { authorization: `Bearer ${await TestIssuer.forge({ sub: "x", iss: issuer.issuer, aud: "compat-app", exp: Math.floor(Date.now() / 1000) + 60 }, "ES256")}` },
  ];
  for (const headers of cases) {
    expect(await httpWhoami(host.url, headers)).toEqual({ status: 401, body: body(401, "Unauthorized", "ERR_AUTH_TOKEN_INVALID") });
  }
});

test("a disabled account: 403 ERR_USER_DISABLED (the documented code) even with a valid token", async () => {
  expect(await httpWhoami(host.url, await bearer({ sub: "disabled" }))).toEqual({ status: 403, body: body(403, "Forbidden", "ERR_USER_DISABLED") });
});

test("findOrCreate threw: 500 ERR_USER_PROVISION_FAILED", async () => {
  expect(await httpWhoami(host.url, await bearer({ sub: "broken" }))).toEqual({ status: 500, body: body(500, "Internal Server Error", "ERR_USER_PROVISION_FAILED") });
});

test("provisioning: findOrCreate(sub, { email, name }) with null for absent claims; userId is the local id, sub stays the token's", async () => {
  provisioned.length = 0;
  const withProfile = await httpWhoami(host.url, await bearer({ sub: "grace", email: "grace@example.com", name: "Grace" }));
  expect(withProfile.body.fields).toMatchObject({ sub: "grace", userId: "local-grace", userRole: "user" });
  await httpWhoami(host.url, await bearer({ sub: "nameless" }));
  expect(provisioned).toEqual([
    ["grace", expect.objectContaining({ email: "grace@example.com", name: "Grace" })],
    ["nameless", expect.objectContaining({ email: null, name: null })],
  ]);
});

test("Socket.IO refusals reach the client as connect_error whose message is the code", async () => {
  expect(await socketWhoami(host.url, "/chat", {})).toEqual({ error: "ERR_AUTH_TOKEN_REQUIRED" });
  expect(await socketWhoami(host.url, "/chat", { token: "not-a-jwt" })).toEqual({ error: "ERR_AUTH_TOKEN_INVALID" });
  expect(await socketWhoami(host.url, "/chat", { token: await issuer.mint({}, { expiresIn: -60 }) })).toEqual({ error: "ERR_AUTH_TOKEN_INVALID" });
  expect(await socketWhoami(host.url, "/chat", { token: await issuer.mint({ sub: "disabled" }) })).toEqual({ error: "ERR_USER_DISABLED" });
  expect(await socketWhoami(host.url, "/chat", { token: await issuer.mint({ sub: "broken" }) })).toEqual({ error: "ERR_USER_PROVISION_FAILED" });
});

test("the admin namespace refuses a user without the admin role with ERR_FORBIDDEN, and admits nobody unauthenticated", async () => {
  expect(await socketWhoami(host.url, "/users", { token: await issuer.mint({ sub: "plain", roles: ["user"] }) })).toEqual({ error: "ERR_FORBIDDEN" });
  expect(await socketWhoami(host.url, "/users", {})).toEqual({ error: "ERR_AUTH_TOKEN_REQUIRED" });
});
