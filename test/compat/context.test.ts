import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { OidcConfigManager, OidcHttpMiddleware, OidcSocketMiddleware } from "../../src/index.js";
import { TestIssuer } from "../../src/testing/index.js";
import { connectSocket, emitWithAck } from "../fixtures/app.js";
import { httpWhoami, setEnv, socketWhoami, startHost, WhoamiController, WhoamiService, type Echo, type Host } from "./harness.js";

// 0.1.4's "Request / socket context" table and its OidcUserContext type, with the README's registration.
let issuer: TestIssuer;
let host: Host;

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "RS256", audience: "compat-app" });
  setEnv({ AUTH_SERVICE_URL: issuer.url, AUTH_SERVICE_APP_SLUG: "compat-app" });
  host = await startHost((server) => {
    server.addManager({ name: "oidcConfig", manager: OidcConfigManager });
    server.addController({ name: "whoami", controller: WhoamiController, middlewares: [OidcHttpMiddleware], prefix: "/whoami" });
    server.addService({ name: "chat", service: WhoamiService, middlewares: [OidcSocketMiddleware] });
  });
});
afterAll(async () => {
  await host.stop();
  await issuer.close();
});

const FULL = {
  sub: "ada",
  email: "ada@example.com",
  name: "Ada Lovelace",
  org_id: "org-42",
  roles: ["editor", "admin"],
  permissions: ["projects.read", "projects.delete"],
  features: { maxProjects: 10, canExport: true },
};
const FULL_CONTEXT = {
  sub: "ada",
  userId: "ada",
  userRole: "editor",
  roles: ["editor", "admin"],
  permissions: ["projects.read", "projects.delete"],
  features: { maxProjects: 10, canExport: true },
  email: "ada@example.com",
  name: "Ada Lovelace",
  org_id: "org-42",
};

/** What 0.2 adds to every context: the issuer and the scopes (none in these tokens). */
const beyond01 = (): { iss: string; scopes: string[] } => ({ iss: issuer.issuer, scopes: [] });
const full = () => ({ ...FULL_CONTEXT, ...beyond01() });

test("HTTP: every documented field, email, name and org_id are on the request and in getAuth()", async () => {
  const { status, body } = await httpWhoami(host.url, { authorization: `Bearer ${await issuer.mint(FULL)}` });
  expect(status).toBe(200);
  expect(body).toEqual({ fields: FULL_CONTEXT, auth: full() });
});

test("Socket.IO: the same fields are on the socket and in getAuth()", async () => {
  const { echo, error } = await socketWhoami(host.url, "/chat", { token: await issuer.mint(FULL) });
  expect(error).toBeUndefined();
  expect(echo).toEqual({ fields: FULL_CONTEXT, auth: full() });
});

test("a token without email, name or org_id: email and name are null, org_id is absent, userRole falls back to \"user\"", async () => {
  const token = await issuer.mint({ sub: "bare" });
  const expected = { sub: "bare", userId: "bare", userRole: "user", roles: [], permissions: [], features: {}, email: null, name: null };
  const http = await httpWhoami(host.url, { authorization: `Bearer ${token}` });
  expect(http.body).toEqual({ fields: expected, auth: { ...expected, ...beyond01() } });
  const socket = await socketWhoami(host.url, "/chat", { token });
  expect(socket.echo).toEqual({ fields: expected, auth: { ...expected, ...beyond01() } });
});

test("org_id is only taken when it is a string (0.1.4 ignored other types); email and name likewise become null", async () => {
  const token = await issuer.mint({ sub: "odd", org_id: 42, email: ["a@example.com"], name: { first: "A" } });
  const { body } = await httpWhoami(host.url, { authorization: `Bearer ${token}` });
  expect((body as unknown as Echo).fields).not.toHaveProperty("org_id");
  expect((body as unknown as Echo).auth).not.toHaveProperty("org_id");
  expect((body as unknown as Echo).auth).toMatchObject({ email: null, name: null });
});

test("the socket token may come from the Authorization header instead of auth.token (the documented fallback)", async () => {
  const outcome = await connectSocket(host.url, "/chat", { headers: { Authorization: `Bearer ${await issuer.mint(FULL)}` } });
  expect(outcome.connected).toBe(true);
  try {
    expect((await emitWithAck<Echo>(outcome.socket!, "whoami")).fields).toEqual(FULL_CONTEXT);
  } finally {
    outcome.socket?.close();
  }
});
