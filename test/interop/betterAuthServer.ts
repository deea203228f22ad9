/**
 * A real BetterAuth server for the interop tests: `betterAuth()` with its
 * memory adapter and `jwt` plugin, served by `toNodeHandler` on 127.0.0.1.
 * Users sign up and in through its HTTP API and take their JWT from
 * `GET /api/auth/token`, exactly as a client of an auth-service would.
 *
 * Facts this relies on (better-auth 1.7.5, read from its jwt plugin):
 * - `iss` and `aud` default to the `baseURL` option as given (no `/api/auth`);
 *   `jwt.issuer` / `jwt.audience` replace them.
 * - The JWKS is served at `/api/auth/jwks`; keys carry `alg` and `kid`, no `use`.
 * - `definePayload` replaces the default payload (the whole user row); `sub`
 *   is always the user id, added after it.
 * - Rotation has no timer: each signing takes the newest key whose
 *   `expiresAt` (creation + `rotationInterval`) has not passed, and creates a
 *   new one when there is none. `/jwks` keeps publishing a key until
 *   `expiresAt + gracePeriod`. Both read `Date`, so a test moves BetterAuth's
 *   clock with Jest's fake `Date`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { betterAuth, type BetterAuthPlugin, type User } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { getSchema } from "better-auth/db";
import { toNodeHandler } from "better-auth/node";
import { jwt, type JWKOptions, type JWSAlgorithms, type JwtOptions } from "better-auth/plugins/jwt";

/** Every signing algorithm the jwt plugin supports, with the key it generates for it. */
export const KEY_PAIR_CONFIGS: Readonly<Record<JWSAlgorithms, JWKOptions>> = Object.freeze({
  EdDSA: { alg: "EdDSA", crv: "Ed25519" }, // the plugin's default
  ES256: { alg: "ES256" }, // P-256
  ES512: { alg: "ES512" }, // P-521
  RS256: { alg: "RS256", modulusLength: 2048 },
  PS256: { alg: "PS256", modulusLength: 2048 },
});

export const BETTER_AUTH_ALGORITHMS = Object.keys(KEY_PAIR_CONFIGS) as JWSAlgorithms[];

/** The URLs of a started server, for options that depend on its port. */
export interface BetterAuthUrls {
  /** `http://127.0.0.1:<port>`: the `baseURL` option. */
  baseURL: string;
  /** `<baseURL>/api/auth`: where BetterAuth's endpoints live. */
  authBaseURL: string;
}

export interface BetterAuthServerOptions {
  /** `jwks.keyPairConfig` (default EdDSA, as in BetterAuth). */
  alg?: JWSAlgorithms;
  /** `jwt.issuer`; unset keeps BetterAuth's default (`baseURL`). */
  issuer?: (urls: BetterAuthUrls) => string;
  /** `jwt.audience`; unset keeps BetterAuth's default (`baseURL`). */
  audience?: string;
  /** `jwks.rotationInterval`, seconds. */
  rotationInterval?: number;
  /** `jwks.gracePeriod`, seconds (BetterAuth's default is 30 days). */
  gracePeriod?: number;
  /**
   * Custom claims per user (roles, permissions, features), added through
   * `jwt.definePayload` next to `email` and `name`. Unset keeps BetterAuth's
   * default payload.
   */
  claims?: (user: User) => Record<string, unknown>;
  /** More plugins, e.g. `oauthProvider(...)`. */
  plugins?: BetterAuthPlugin[];
}

export interface BetterAuthServer extends BetterAuthUrls {
  /** `<authBaseURL>/jwks`. */
  jwksUrl: string;
  /** `auth.api`: BetterAuth's server-side calls (typed by whoever added the plugin that brings them). */
  api: object;
  /** How many `GET /api/auth/jwks` requests the server has answered. */
  readonly jwksRequests: number;
  /** `POST /sign-up/email` (signs in too): the session cookie and the user id. */
  signUp(email: string, password: string, name: string): Promise<{ cookie: string; userId: string }>;
  /** `POST /sign-in/email`: the session cookie. */
  signIn(email: string, password: string): Promise<string>;
  /** `GET /token` with a session cookie: a freshly signed JWT. */
  sessionJwt(cookie: string): Promise<string>;
  /** `GET /get-session` with a session cookie: the JWT of its `set-auth-jwt` header. */
  sessionJwtFromHeader(cookie: string): Promise<string>;
  close(): Promise<void>;
}

/** Test-only; long enough that BetterAuth does not warn about its entropy. */
const SECRET = "interop-tests-only-secret-7f3c9a51e2b84d06a9c1f5e8b3d27a64";

export async function startBetterAuthServer(options: BetterAuthServerOptions = {}): Promise<BetterAuthServer> {
  // baseURL needs the port before betterAuth() is called: listen first, add the handler after
  // (nobody can send a request before this function returns the URL).
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const urls = { baseURL, authBaseURL: `${baseURL}/api/auth` };

  const { claims } = options;
  const jwtOptions: JwtOptions = {
    jwks: {
      keyPairConfig: KEY_PAIR_CONFIGS[options.alg ?? "EdDSA"],
      rotationInterval: options.rotationInterval,
      gracePeriod: options.gracePeriod,
    },
    jwt: {
      issuer: options.issuer?.(urls),
      audience: options.audience,
      definePayload: claims ? ({ user }) => ({ email: user.email, name: user.name, ...claims(user) }) : undefined,
    },
  };
  const plugins = [jwt(jwtOptions), ...(options.plugins ?? [])];
  const auth = betterAuth({
    baseURL,
    secret: SECRET,
    database: memoryAdapter(emptyTables(plugins)),
    emailAndPassword: { enabled: true },
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    plugins,
  });
  const handle = toNodeHandler(auth);
  let jwksRequests = 0;
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === "GET" && req.url?.split("?")[0] === "/api/auth/jwks") jwksRequests += 1;
    void handle(req, res);
  });

  // A browser sends Origin on these POSTs; BetterAuth's CSRF check wants it outside NODE_ENV=test.
  const post = (path: string, body: unknown): Promise<Response> =>
    fetch(`${urls.authBaseURL}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: baseURL },
      body: JSON.stringify(body),
    });

  return {
    ...urls,
    jwksUrl: `${urls.authBaseURL}/jwks`,
    api: auth.api,
    get jwksRequests() {
      return jwksRequests;
    },
    async signUp(email, password, name) {
      const res = await expectOk(await post("/sign-up/email", { email, password, name }), "sign-up");
      const { user } = (await res.json()) as { user: { id: string } };
      return { cookie: sessionCookie(res), userId: user.id };
    },
    async signIn(email, password) {
      const res = await expectOk(await post("/sign-in/email", { email, password }), "sign-in");
      await res.arrayBuffer();
      return sessionCookie(res);
    },
    async sessionJwt(cookie) {
      const res = await expectOk(await fetch(`${urls.authBaseURL}/token`, { headers: { cookie } }), "GET /token");
      return ((await res.json()) as { token: string }).token;
    },
    async sessionJwtFromHeader(cookie) {
      const res = await expectOk(await fetch(`${urls.authBaseURL}/get-session`, { headers: { cookie } }), "GET /get-session");
      await res.arrayBuffer();
      const token = res.headers.get("set-auth-jwt");
      if (!token) throw new Error("BetterAuth GET /get-session sent no set-auth-jwt header");
      return token;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        // fetch keeps connections alive; close() would wait for them.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * The memory adapter needs every table to exist as an array up front
 * (it throws "Model jwks not found" otherwise); the schema lists them.
 */
function emptyTables(plugins: BetterAuthPlugin[]): Record<string, unknown[]> {
  return Object.fromEntries(Object.keys(getSchema({ plugins })).map((model) => [model, []]));
}

/** The `name=value` pairs of the response's Set-Cookie headers, as a Cookie header. */
function sessionCookie(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((cookie) => cookie.split(";")[0])
    .join("; ");
}

export async function expectOk(res: Response, what: string): Promise<Response> {
  if (!res.ok) throw new Error(`BetterAuth ${what} failed: HTTP ${res.status} ${await res.text()}`);
  return res;
}
