import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { ERR_FORBIDDEN } from "../../src/index.js";
import { calls } from "../fixtures/app.js";
import { startBetterAuthServer, type BetterAuthServer } from "./betterAuthServer.js";
import { contextEverywhere, socketContext, socketRefusal, startProtectedApp, type ProtectedApp } from "./protectedApp.js";

// Roles, permissions and features come from BetterAuth's jwt.definePayload, as an auth-service would add them.
const CLAIMS_BY_EMAIL: Record<string, Record<string, unknown>> = {
  "grace@example.com": { roles: ["admin", "user"], permissions: ["users:read", "users:write"], features: { beta: true, limits: { projects: 10 } } },
  "linus@example.com": { roles: ["user"], permissions: ["profile:read"], features: { beta: false } },
};

let authServer: BetterAuthServer;
let app: ProtectedApp;
let admin: { userId: string; token: string };
let user: { userId: string; token: string };

async function signUp(email: string, name: string): Promise<{ userId: string; token: string }> {
  const { cookie, userId } = await authServer.signUp(email, "correct-horse-battery", name);
  return { userId, token: await authServer.sessionJwt(cookie) };
}

beforeAll(async () => {
  authServer = await startBetterAuthServer({ audience: "interop-app", claims: (u) => CLAIMS_BY_EMAIL[u.email] ?? {} });
  app = await startProtectedApp({ AUTH_SERVICE_URL: authServer.baseURL, AUTH_SERVICE_APP_SLUG: "interop-app" });
  admin = await signUp("grace@example.com", "Grace");
  user = await signUp("linus@example.com", "Linus");
});
afterAll(async () => {
  await app.stop();
  await authServer.close();
});

test("roles, permissions and features from definePayload arrive as the context over HTTP and Socket.IO", async () => {
  expect(await contextEverywhere(app.url, user.token)).toEqual({
    sub: user.userId,
    userId: user.userId,
    userRole: "user",
    roles: ["user"],
    permissions: ["profile:read"],
    features: { beta: false },
  });
  expect(await contextEverywhere(app.url, admin.token)).toEqual({
    sub: admin.userId,
    userId: admin.userId,
    userRole: "admin",
    roles: ["admin", "user"],
    permissions: ["users:read", "users:write"],
    features: { beta: true, limits: { projects: 10 } },
  });
});

test("the admin namespace admits a BetterAuth admin and refuses a plain user with ERR_FORBIDDEN", async () => {
  expect(await socketContext(app.url, "/admin", admin.token)).toMatchObject({ sub: admin.userId, userRole: "admin" });

  const before = calls.length;
  expect(await socketRefusal(app.url, "/admin", user.token)).toBe(ERR_FORBIDDEN);
  expect(calls.length).toBe(before);
});
