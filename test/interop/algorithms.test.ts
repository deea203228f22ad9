import { afterEach, describe, expect, test } from "@jest/globals";
import { decodeProtectedHeader } from "jose";
import { BETTER_AUTH_ALGORITHMS, startBetterAuthServer, type BetterAuthServer } from "./betterAuthServer.js";
import { contextEverywhere, startProtectedApp, type ProtectedApp } from "./protectedApp.js";

// Each algorithm BetterAuth's jwt plugin can sign with (its JWSAlgorithms type: EdDSA, ES256, ES512, RS256, PS256),
// with BetterAuth's default issuer (its baseURL) and the audience set to the app's slug.
describe.each(BETTER_AUTH_ALGORITHMS)("a BetterAuth %s session JWT", (alg) => {
  let authServer: BetterAuthServer | undefined;
  let app: ProtectedApp | undefined;
  afterEach(async () => {
    await app?.stop();
    await authServer?.close();
  });

  test("is accepted over HTTP and Socket.IO with only AUTH_SERVICE_URL and AUTH_SERVICE_APP_SLUG set", async () => {
    authServer = await startBetterAuthServer({ alg, audience: "interop-app" });
    app = await startProtectedApp({ AUTH_SERVICE_URL: authServer.baseURL, AUTH_SERVICE_APP_SLUG: "interop-app" });
    const { cookie, userId } = await authServer.signUp(`${alg.toLowerCase()}@example.com`, "correct-horse-battery", "Ada");
    const token = await authServer.sessionJwt(cookie);

    expect(decodeProtectedHeader(token)).toEqual({ alg, kid: expect.any(String) });
    expect(await contextEverywhere(app.url, token)).toEqual({
      sub: userId,
      userId,
      userRole: "user",
      roles: [],
      permissions: [],
      features: {},
    });
  });
});
