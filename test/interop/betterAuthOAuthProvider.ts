/**
 * BetterAuth with its OAuth 2.1 provider plugin (`@better-auth/oauth-provider`)
 * for the interop tests: a confidential client gets JWT access tokens through
 * the client_credentials grant at `POST /api/auth/oauth2/token`.
 *
 * Facts this relies on (@better-auth/oauth-provider 1.7.5, read from its code):
 * - An access token is a JWT only when the request names a `resource`
 *   (RFC 8707); without one it is opaque. `aud` is the resource, an array when
 *   several are requested (adding the userinfo URL when `openid` is in scope,
 *   which client_credentials refuses: it is a user-delegated scope).
 * - Header `typ: at+jwt` (RFC 9068); `iss` is `<baseURL>/api/auth` unless the
 *   jwt plugin sets `jwt.issuer`; `sub` is the client id for client_credentials.
 * - Resources must be absolute URIs, seeded in the options, and linked to
 *   each client (`enforcePerClientResources` defaults to true).
 * - Giving a client client_credentials scopes needs `clientPrivileges`, and
 *   creating it, even through the server-only admin call, a user session.
 * - A client registered with `dpop_bound_access_tokens: true` must send a
 *   DPoP proof (POST, the token endpoint's URL) with every token request; its
 *   access tokens carry `cnf.jkt` and come back with `token_type: "DPoP"`.
 */
import { oauthProvider } from "@better-auth/oauth-provider";
import { expectOk, startBetterAuthServer, type BetterAuthServer, type BetterAuthServerOptions } from "./betterAuthServer.js";

export interface OAuthProviderOptions extends Omit<BetterAuthServerOptions, "plugins"> {
  /** Resource identifiers (the `aud` of access tokens). */
  resources: string[];
  /** Claims added to every access token (`customAccessTokenClaims`). */
  accessTokenClaims?: Record<string, unknown>;
  /**
   * Scopes the provider supports besides the client's `api:read` (default
   * openid, profile, email, offline_access). Without "openid" it serves no
   * OpenID discovery document, only the RFC 8414 one.
   */
  extraScopes?: string[];
}

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

export interface OAuthProviderServer extends BetterAuthServer {
  /**
   * A confidential client allowed the client_credentials grant for `api:read`, linked to every resource;
   * with `dpopBound`, registered with `dpop_bound_access_tokens` (its tokens need a DPoP proof and carry `cnf.jkt`).
   */
  registerClient(options?: { dpopBound?: boolean }): Promise<OAuthClient>;
  /**
   * `POST /oauth2/token` with `grant_type=client_credentials` and the given resources: the access token.
   * `dpop` makes the proof for the request (POST `<authBaseURL>/oauth2/token`), sent in the `DPoP` header.
   */
  clientCredentials(client: OAuthClient, resources: string[], scope?: string, dpop?: (htm: string, htu: string) => Promise<string>): Promise<string>;
}

const CLIENT_SCOPE = "api:read";

/** The part of `auth.api` the oauth-provider plugin adds and these tests use. */
interface OAuthAdminApi {
  adminCreateOAuthClient(request: { headers: Headers; body: Record<string, unknown> }): Promise<{ client_id: string; client_secret: string }>;
  adminLinkClientResource(request: { headers: Headers; params: { identifier: string; client_id: string } }): Promise<unknown>;
}

export async function startOAuthProviderServer(options: OAuthProviderOptions): Promise<OAuthProviderServer> {
  const { resources, accessTokenClaims } = options;
  const provider = oauthProvider({
    loginPage: "/login", // required options; no user-facing flow is used here
    consentPage: "/consent",
    scopes: [...(options.extraScopes ?? ["openid", "profile", "email", "offline_access"]), CLIENT_SCOPE],
    resources,
    clientPrivileges: () => true,
    customAccessTokenClaims: accessTokenClaims ? () => accessTokenClaims : undefined,
  });
  const server = await startBetterAuthServer({ ...options, plugins: [provider] });
  const api = server.api as OAuthAdminApi;
  let clients = 0;

  return {
    ...server,
    get jwksRequests() {
      return server.jwksRequests;
    },
    async registerClient(registration = {}) {
      clients += 1;
      const { cookie } = await server.signUp(`client-admin-${clients}@example.com`, "correct-horse-battery", "Client Admin");
      const headers = new Headers({ cookie });
      const created = await api.adminCreateOAuthClient({
        headers,
        body: {
          client_name: "interop-service",
          grant_types: ["client_credentials"],
          token_endpoint_auth_method: "client_secret_basic",
          client_credentials_scopes: [CLIENT_SCOPE],
          scope: CLIENT_SCOPE,
          ...(registration.dpopBound ? { dpop_bound_access_tokens: true } : {}),
        },
      });
      for (const identifier of resources) {
        await api.adminLinkClientResource({ headers, params: { identifier, client_id: created.client_id } });
      }
      return { clientId: created.client_id, clientSecret: created.client_secret };
    },
    async clientCredentials(client, requested, scope = CLIENT_SCOPE, dpop) {
      const form = new URLSearchParams({ grant_type: "client_credentials", scope });
      for (const resource of requested) form.append("resource", resource);
      const basic = Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString("base64");
      const tokenUrl = `${server.authBaseURL}/oauth2/token`;
      const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${basic}` };
      if (dpop) headers.dpop = await dpop("POST", tokenUrl);
      const res = await fetch(tokenUrl, {
        method: "POST",
        headers,
        body: form,
      });
      await expectOk(res, "POST /oauth2/token");
      return ((await res.json()) as { access_token: string }).access_token;
    },
  };
}
