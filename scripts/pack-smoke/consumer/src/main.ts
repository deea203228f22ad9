/**
 * A host app as a user writes it, compiled against the packed tarball
 * installed from the npm cache: a protected route must answer 401 without a
 * token and 200 with one, and the back-channel logout receiver, registered
 * from the routes file the package ships, must answer. Prints one JSON
 * line; exit code 0 on success.
 */
import { fileURLToPath } from "node:url";
import { BaseController, IOServer } from "ioserver";
import type { FastifyReply, FastifyRequest } from "fastify";
import { backChannelLogoutController, getAuth, OidcConfigManager, OidcHttpMiddleware, type OidcUserContext } from "ioserver-oidc";
import { freePort, TestIssuer } from "ioserver-oidc/testing";
import { metrics } from "@opentelemetry/api";
import { registerOidcMetrics } from "ioserver-oidc/opentelemetry";

class ProfileController extends BaseController {
  async getProfile(request: FastifyRequest, reply: FastifyReply) {
    // Compiles only if the published types augment FastifyRequest.
    const field: string | undefined = request.userId;
    const context: OidcUserContext = getAuth(request);
    return reply.send({ userId: context.userId, fieldMatches: field === context.userId });
  }
}

const issuer = await TestIssuer.start({ alg: "ES256", audience: "pack-smoke" });
Object.assign(process.env, issuer.env({ AUTH_SERVICE_LOG_LEVEL: "warn" }));
const port = await freePort();
const routes = fileURLToPath(new URL("../routes", import.meta.url));
const server = new IOServer({ host: "127.0.0.1", port, routes, verbose: "ERROR" });
server.addManager({ name: "oidcConfig", manager: OidcConfigManager });
server.addController({ name: "profile", controller: ProfileController, middlewares: [OidcHttpMiddleware], prefix: "/profile" });
// The routes file the package ships, found from the host's routes directory.
server.addController(backChannelLogoutController({ routes }));
await server.start();
// The optional entry loads and subscribes (a no-op meter: no SDK is installed here).
const stopMetrics = registerOidcMetrics(metrics.getMeter("pack-smoke"));

try {
  const url = `http://127.0.0.1:${port}/profile`;
  const anonymous = await fetch(url);
  const token = await issuer.mint({ sub: "consumer-user" });
  const authenticated = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const logout = await fetch(`http://127.0.0.1:${port}/oidc/backchannel-logout`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "logout_token=" });
  const result = {
    withoutToken: { status: anonymous.status, body: (await anonymous.json()) as unknown },
    withToken: { status: authenticated.status, body: (await authenticated.json()) as unknown },
    logoutWithoutToken: { status: logout.status, body: (await logout.json()) as unknown },
  };
  console.log(JSON.stringify(result));
  const ok =
    result.withoutToken.status === 401 &&
    result.withToken.status === 200 &&
    JSON.stringify(result.withToken.body) === JSON.stringify({ userId: "consumer-user", fieldMatches: true }) &&
    result.logoutWithoutToken.status === 400 &&
    JSON.stringify(result.logoutWithoutToken.body) === JSON.stringify({ error: "invalid_request", error_description: "logout_token is required" });
  process.exitCode = ok ? 0 : 1;
} finally {
  stopMetrics();
  await server.stop();
  await issuer.close();
}
