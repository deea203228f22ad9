import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { OidcConfigManager, OidcHttpMiddleware, OidcSocketAdminMiddleware, OidcSocketMiddleware, ERR_FORBIDDEN, oidcReady } from "../../src/index.js";
import { ChatService, ProfileController, startServer } from "../fixtures/app.js";
import { startBetterAuthServer, type BetterAuthServer } from "./betterAuthServer.js";
import { contextEverywhere, socketContext, socketRefusal } from "./protectedApp.js";

// The registration of the README, with the default exported classes and the real process.env:
// no container code at all. (Jest gives each test file its own process.env.)
let authServer: BetterAuthServer;
let app: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  authServer = await startBetterAuthServer({
    audience: "interop-app",
    claims: (user) => (user.email.startsWith("admin") ? { roles: ["admin"] } : { roles: ["user"] }),
  });
  process.env.AUTH_SERVICE_URL = authServer.baseURL;
  process.env.AUTH_SERVICE_APP_SLUG = "interop-app";
  process.env.AUTH_SERVICE_LOG_LEVEL = "silent";
  app = await startServer((server) => {
    server.addManager({ name: "oidcConfig", manager: OidcConfigManager });
    server.addController({ name: "profile", controller: ProfileController, middlewares: [OidcHttpMiddleware], prefix: "/profile" });
    server.addService({ name: "chat", service: ChatService, middlewares: [OidcSocketMiddleware] });
    server.addService({ name: "admin", service: ChatService, middlewares: [OidcSocketMiddleware, OidcSocketAdminMiddleware] });
  });
  await oidcReady();
});
afterAll(async () => {
  await app.stop();
  await authServer.close();
  delete process.env.AUTH_SERVICE_URL;
  delete process.env.AUTH_SERVICE_APP_SLUG;
  delete process.env.AUTH_SERVICE_LOG_LEVEL;
});

test("a user signed in at BetterAuth reaches HTTP routes and namespaces guarded by the default middlewares", async () => {
  await authServer.signUp("ada@example.com", "correct-horse-battery", "Ada");
  const cookie = await authServer.signIn("ada@example.com", "correct-horse-battery");

  // Both ways a BetterAuth client gets its JWT: GET /api/auth/token, and the set-auth-jwt header of get-session.
  for (const token of [await authServer.sessionJwt(cookie), await authServer.sessionJwtFromHeader(cookie)]) {
    expect(await contextEverywhere(app.url, token)).toMatchObject({ userRole: "user", roles: ["user"] });
    expect(await socketRefusal(app.url, "/admin", token)).toBe(ERR_FORBIDDEN);
  }
});

test("an admin signed in at BetterAuth passes the default admin guard", async () => {
  const { cookie, userId } = await authServer.signUp("admin@example.com", "correct-horse-battery", "Root");
  const token = await authServer.sessionJwt(cookie);

  expect(await socketContext(app.url, "/admin", token)).toMatchObject({ sub: userId, userRole: "admin", roles: ["admin"] });
});
