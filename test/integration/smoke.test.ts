import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { createTestContainer, RecordingSessionRegistrar, TestIssuer } from "../../src/testing/index.js";
import { ChatService, ProfileController, connectSocket, emitWithAck, startServer } from "../fixtures/app.js";

// The real verifier against a real JWKS over HTTP, in a container of this file's own.
let issuer: TestIssuer;
let app: Awaited<ReturnType<typeof startServer>>;
const sessions = new RecordingSessionRegistrar();

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "EdDSA" });
  const oidc = createTestContainer({ env: issuer.env(), sessions });
  app = await startServer((server) => {
    server.addManager({ name: "oidcConfig", manager: oidc.OidcConfigManager });
    server.addController({ name: "profile", controller: ProfileController, middlewares: [oidc.OidcHttpMiddleware], prefix: "/profile" });
    server.addService({ name: "chat", service: ChatService, middlewares: [oidc.OidcSocketMiddleware] });
    server.addService({ name: "admin", service: ChatService, middlewares: [oidc.OidcSocketMiddleware, oidc.OidcSocketAdminMiddleware] });
  });
});
afterAll(async () => {
  await app.stop();
  await issuer.close();
});

test("HTTP: a valid token reaches the handler with its context; no token gets 401 and a Bearer challenge", async () => {
  const token = await issuer.mint({ sub: "user-1", roles: ["admin"], permissions: ["p1"], features: { beta: true } });
  const accepted = await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${token}` } });
  expect(accepted.status).toBe(200);
  expect(await accepted.json()).toEqual({ sub: "user-1", userId: "user-1", userRole: "admin", roles: ["admin"], permissions: ["p1"], features: { beta: true } });

  const refused = await fetch(`${app.url}/profile`);
  expect(refused.status).toBe(401);
  expect(refused.headers.get("www-authenticate")).toBe('Bearer realm="api", DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519"');
  expect(await refused.json()).toMatchObject({ statusCode: 401, code: "ERR_AUTH_TOKEN_REQUIRED" });
});

test("Socket.IO: a valid token connects, is registered while connected, and the service sees its context", async () => {
  const token = await issuer.mint({ sub: "user-2" });
  const outcome = await connectSocket(app.url, "/chat", { auth: { token } });
  expect(outcome.connected).toBe(true);
  expect(await emitWithAck(outcome.socket!, "whoami")).toMatchObject({ sub: "user-2", userRole: "user" });
  await sessions.waitFor((s) => s.socketsOf("user-2").length === 1);
  outcome.socket!.close();
  await sessions.waitFor((s) => s.live === 0);
});

test("Socket.IO: a malformed token gets ERR_AUTH_TOKEN_INVALID before the admin guard", async () => {
  const outcome = await connectSocket(app.url, "/admin", { auth: { token: "x.y.z" } });
  expect(outcome).toMatchObject({ connected: false, error: { message: "ERR_AUTH_TOKEN_INVALID", data: { statusCode: 401 } } });
});
