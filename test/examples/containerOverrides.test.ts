import { afterAll, beforeAll, expect, test } from "@jest/globals";
import type { IOServer } from "ioserver";
import { TestIssuer, freePort } from "ioserver-oidc/testing";
import { start } from "../../examples/container-overrides/app.js";
import { UserStore } from "../../examples/container-overrides/UserStore.js";
import { connectSocket } from "../fixtures/app.js";

let issuer: TestIssuer;
let server: IOServer;
let url: string;
let users: UserStore;
const savedEnv = { ...process.env };

beforeAll(async () => {
  issuer = await TestIssuer.start();
  // Refusals are expected here: keep them out of the test output.
  // The store's roles decide role checks (see the example's header).
  Object.assign(process.env, issuer.env({ AUTH_SERVICE_LOG_LEVEL: "warn", AUTH_SERVICE_ROLE_SOURCE: "local-first" }));
  users = new UserStore([
    { sub: "alice", role: "admin", disabled: false },
    { sub: "mallory", role: "admin", disabled: true },
  ]);
  const port = await freePort();
  server = await start(port, users);
  url = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await server.stop();
  await issuer.close();
  process.env = savedEnv;
});

const account = async (claims: Record<string, unknown>) => {
  const response = await fetch(`${url}/account`, { headers: { authorization: `Bearer ${await issuer.mint(claims)}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

test("the host's user store gives the local id and role", async () => {
  expect(await account({ sub: "alice", tenant: "acme", roles: ["member"] })).toEqual({ status: 200, body: { userId: "1", userRole: "admin" } });
});

test("the host's user store creates unknown subjects as members", async () => {
  expect(await account({ sub: "carol", tenant: "acme", email: "carol@example.com" })).toMatchObject({ status: 200, body: { userRole: "member" } });
  expect(users.find("carol")).toMatchObject({ email: "carol@example.com", role: "member", disabled: false });
});

test("a user the store marks disabled is refused with 403", async () => {
  expect(await account({ sub: "mallory", tenant: "acme" })).toMatchObject({ status: 403, body: { code: "ERR_USER_DISABLED" } });
});

test("the host's verifier refuses a validly signed token of another tenant", async () => {
  expect(await account({ sub: "alice", tenant: "globex" })).toMatchObject({ status: 401, body: { code: "ERR_AUTH_TOKEN_INVALID" } });
  expect(users.find("alice")).toBeDefined();
});

test("the host's verifier still rests on the JWKS: a forged token is refused", async () => {
  const forged = await TestIssuer.forge({ sub: "alice", tenant: "acme", iss: issuer.issuer, aud: issuer.audience, exp: Math.floor(Date.now() / 1000) + 60 });
  const response = await fetch(`${url}/account`, { headers: { authorization: `Bearer ${forged}` } });
  expect(response.status).toBe(401);
});

test("the admin guard follows the store's role, not the token's", async () => {
  const alice = await connectSocket(url, "/admin", { auth: { token: await issuer.mint({ sub: "alice", tenant: "acme" }) } });
  expect(alice.connected).toBe(true);
  alice.socket!.close();
  const carol = await connectSocket(url, "/admin", { auth: { token: await issuer.mint({ sub: "carol", tenant: "acme", roles: ["admin"] }) } });
  expect(carol).toMatchObject({ connected: false, error: { message: "ERR_FORBIDDEN" } });
});

test("the overrides stay in this app's container: the package's default container is untouched", async () => {
  const { oidcContainer, TOKENS, AppHandleUserProvisioner } = await import("ioserver-oidc");
  const scope = oidcContainer.createChildContainer();
  scope.register(TOKENS.AppHandle, { useValue: {} });
  expect(scope.resolve(TOKENS.UserProvisioner)).toBeInstanceOf(AppHandleUserProvisioner);
});
