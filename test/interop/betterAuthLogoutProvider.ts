/**
 * BetterAuth with `@better-auth/oauth-provider` in a process of its own, for
 * test/interop/backChannelLogout.test.ts: the OP that sends back-channel
 * logout tokens when a session ends. Run with `node --import tsx`.
 *
 * Why a process of its own: BetterAuth POSTs the logout token with the
 * global `fetch` to the client's `backchannel_logout_uri`, which it accepts
 * only as https on a publicly routable host name. The receiver is served
 * with a certificate from a test CA; Node trusts an extra CA only through
 * NODE_EXTRA_CA_CERTS, read when the process starts, so this process is
 * started with it. TLS is then verified as in production. The one shim is
 * name resolution: RP_HOST (a public-looking name under the reserved .test
 * TLD) resolves to 127.0.0.1 through `dns.lookup`, which Node's `fetch`
 * uses, as an /etc/hosts line would.
 *
 * Environment: RP_HOST, RP_ORIGIN (https://RP_HOST:port), RESOURCE (the API's
 * resource indicator). Prints one JSON line (its URLs, the OAuth client, an
 * admin's session cookie for the admin plugin) and serves until stdin closes.
 */
import dns from "node:dns";
import { oauthProvider } from "@better-auth/oauth-provider";
import { admin } from "better-auth/plugins";
import { startBetterAuthServer } from "./betterAuthServer.js";

const { RP_HOST, RP_ORIGIN, RESOURCE } = process.env as Record<string, string>;
if (!RP_HOST || !RP_ORIGIN || !RESOURCE) throw new Error("RP_HOST, RP_ORIGIN and RESOURCE are required");

type Lookup = (hostname: string, options: unknown, callback?: unknown) => void;
const systemLookup = dns.lookup as unknown as Lookup;
(dns as unknown as { lookup: Lookup }).lookup = function lookup(hostname, options, callback) {
  if (hostname !== RP_HOST) return systemLookup.call(dns, hostname, options, callback);
  const done = (typeof options === "function" ? options : callback) as (error: null, address: unknown, family?: number) => void;
  const all = typeof options === "object" && options !== null && (options as { all?: boolean }).all === true;
  process.nextTick(() => (all ? done(null, [{ address: "127.0.0.1", family: 4 }]) : done(null, "127.0.0.1", 4)));
};

interface AdminApi {
  adminCreateOAuthClient(request: { headers: Headers; body: Record<string, unknown> }): Promise<{ client_id: string; client_secret: string }>;
  adminLinkClientResource(request: { headers: Headers; params: { identifier: string; client_id: string } }): Promise<unknown>;
}

const provider = oauthProvider({
  loginPage: "/login",
  consentPage: "/consent",
  scopes: ["openid", "profile", "email", "offline_access"],
  resources: [RESOURCE],
  clientPrivileges: () => true,
});
// The admin plugin reads adminUserIds when a request comes: the admin's id is added once it exists.
const adminUserIds: string[] = [];
const server = await startBetterAuthServer({ plugins: [provider, admin({ adminUserIds })] });
const api = server.api as AdminApi;
const { cookie, userId } = await server.signUp("client-admin@example.com", "correct-horse-battery", "Client Admin");
adminUserIds.push(userId);
const headers = new Headers({ cookie });
const client = await api.adminCreateOAuthClient({
  headers,
  body: {
    client_name: "ioserver-app",
    redirect_uris: [`${RP_ORIGIN}/callback`],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
    skip_consent: true,
    backchannel_logout_uri: `${RP_ORIGIN}/oidc/backchannel-logout`,
  },
});
await api.adminLinkClientResource({ headers, params: { identifier: RESOURCE, client_id: client.client_id } });

process.stdout.write(`${JSON.stringify({ baseURL: server.baseURL, authBaseURL: server.authBaseURL, clientId: client.client_id, clientSecret: client.client_secret, adminCookie: cookie })}\n`);
process.stdin.on("close", () => void server.close().finally(() => process.exit(0)));
process.stdin.resume();
