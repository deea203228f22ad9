/**
 * A real BetterAuth sign-out ending a session in an IOServer app, end to
 * end: BetterAuth (`@better-auth/oauth-provider` 1.7.5, its own process,
 * see betterAuthLogoutProvider.ts) signs a user in, the app gets a JWT
 * access token through the authorization code flow (PKCE, resource
 * indicator, offline_access so the session has a stored refresh token),
 * the user calls the API and opens a socket; then the user signs out at
 * BetterAuth, BetterAuth POSTs its logout token to the app's
 * `backchannel_logout_uri` over verified TLS, and the app refuses the
 * token over HTTP and cuts the socket with `auth:revoked`.
 *
 * The receiver sits behind a TLS-terminating proxy (as behind a load
 * balancer) for https://rp.ioserver-oidc.test:<port>, with a certificate
 * from a CA made for this test; BetterAuth refuses http and loopback or
 * private hosts for that URI. The negative control shows the TLS check is
 * real: without the test CA the logout never arrives.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import type { Socket as ClientSocket } from "socket.io-client";
import { connectSocket } from "../fixtures/app.js";
import { waitFor } from "../fixtures/doubles.js";
import { nextEvent, recordEvents } from "../fixtures/live.js";
import { startLogoutApp, type LogoutApp } from "../fixtures/logoutApp.js";
import { makeTestCertificates, type TestCertificates } from "./testCertificates.js";

const RP_HOST = "rp.ioserver-oidc.test";
const RESOURCE = "https://api.ioserver-oidc.test";
const PROVIDER = fileURLToPath(new URL("./betterAuthLogoutProvider.ts", import.meta.url));

interface Provider {
  baseURL: string;
  authBaseURL: string;
  clientId: string;
  clientSecret: string;
  /** The session cookie of a user the admin plugin treats as an admin. */
  adminCookie: string;
  /** Everything the process printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts BetterAuth in its own process; resolves once it printed its URLs and client (bounded). */
function startProvider(rpOrigin: string, extraCa: string | undefined): Promise<Provider> {
  const env: NodeJS.ProcessEnv = { ...process.env, RP_HOST, RP_ORIGIN: rpOrigin, RESOURCE };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS; // jest's --experimental-vm-modules is not for this process
  if (extraCa) env.NODE_EXTRA_CA_CERTS = extraCa;
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ["--import", "tsx", PROVIDER], { env, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`BetterAuth did not start within 60 s:\n${output}`));
    }, 60_000);
    const onData = () => {
      const line = output.split("\n").find((l) => l.startsWith("{"));
      if (!line) return;
      clearTimeout(timer);
      child.stdout.off("data", onData);
      resolve({ ...(JSON.parse(line) as Omit<Provider, "output" | "stop">), output: () => output, stop });
    };
    child.stdout.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`BetterAuth exited (${code}):\n${output}`));
    });
  });
}

/** An https server for RP_HOST that forwards every request to `target()` (an http origin on 127.0.0.1), counting what it relayed. */
async function startTlsProxy(certs: TestCertificates, target: () => string): Promise<{ server: HttpsServer; port: number; relayed: string[] }> {
  const relayed: string[] = [];
  const server = createHttpsServer({ key: certs.key, cert: certs.cert }, (req, res) => {
    const upstream = httpRequest(new URL(req.url ?? "/", target()), { method: req.method, headers: req.headers }, (answer) => {
      relayed.push(`${req.method} ${req.url} ${answer.statusCode}`);
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port, relayed };
}

/** What a browser does for the user: sign up at BetterAuth, authorize the app, and the app's code exchange. Returns the session cookie and the access token. */
async function signInThroughTheApp(provider: Provider, rpOrigin: string, email: string): Promise<{ cookie: string; accessToken: string }> {
  const post = (path: string, body: unknown, cookie?: string) =>
    fetch(`${provider.authBaseURL}${path}`, { method: "POST", headers: { "content-type": "application/json", origin: provider.baseURL, ...(cookie ? { cookie } : {}) }, body: JSON.stringify(body) });
  const signUp = await post("/sign-up/email", { email, password: "correct-horse-battery", name: "Dana" });
  expect(signUp.status).toBe(200);
  const cookie = signUp.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");

  const verifier = randomBytes(32).toString("base64url");
  const redirectUri = `${rpOrigin}/callback`;
  const authorize = new URL(`${provider.authBaseURL}/oauth2/authorize`);
  for (const [name, value] of Object.entries({
    response_type: "code",
    client_id: provider.clientId,
    redirect_uri: redirectUri,
    scope: "openid offline_access",
    state: "s-1",
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
    resource: RESOURCE,
  })) authorize.searchParams.set(name, value);
  const answer = await fetch(authorize, { headers: { cookie, accept: "application/json" }, redirect: "manual" });
  const location = answer.headers.get("location") ?? ((await answer.json()) as { url: string }).url;
  const code = new URL(location).searchParams.get("code");
  expect(code).toBeTruthy();

  const basic = Buffer.from(`${provider.clientId}:${provider.clientSecret}`).toString("base64");
  const token = await fetch(`${provider.authBaseURL}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${basic}` },
    body: new URLSearchParams({ grant_type: "authorization_code", code: code as string, redirect_uri: redirectUri, code_verifier: verifier, resource: RESOURCE }),
  });
  expect(token.status).toBe(200);
  return { cookie, accessToken: ((await token.json()) as { access_token: string }).access_token };
}

const signOut = (provider: Provider, cookie: string) =>
  fetch(`${provider.authBaseURL}/sign-out`, { method: "POST", headers: { "content-type": "application/json", origin: provider.baseURL, cookie }, body: "{}" });

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1] as string, "base64url").toString()) as Record<string, unknown>;

interface Stack {
  provider: Provider;
  app: LogoutApp;
  proxy: Awaited<ReturnType<typeof startTlsProxy>>;
  rpOrigin: string;
  stop(): Promise<void>;
}

/** The TLS proxy, BetterAuth (trusting the test CA or not) and the IOServer app configured for BetterAuth's tokens. */
async function startStack(certs: TestCertificates, trustTestCa: boolean): Promise<Stack> {
  let appUrl = "";
  const proxy = await startTlsProxy(certs, () => appUrl);
  const rpOrigin = `https://${RP_HOST}:${proxy.port}`;
  const provider = await startProvider(rpOrigin, trustTestCa ? certs.caFile : undefined);
  const env = {
    AUTH_SERVICE_URL: provider.baseURL,
    AUTH_SERVICE_APP_SLUG: provider.clientId,
    AUTH_SERVICE_ISSUER: provider.authBaseURL,
    AUTH_SERVICE_JWKS_URI: `${provider.authBaseURL}/jwks`,
    AUTH_SERVICE_AUDIENCE: RESOURCE,
    AUTH_SERVICE_LOGOUT_REQUIRE_TYP: "true",
  };
  const app = await startLogoutApp({ env: (extra = {}) => ({ ...env, ...extra }) });
  appUrl = app.url;
  return {
    provider,
    app,
    proxy,
    rpOrigin,
    stop: async () => {
      await app.stop();
      await provider.stop();
      proxy.server.closeAllConnections();
      await new Promise<void>((resolve) => proxy.server.close(() => resolve()));
    },
  };
}

let certs: TestCertificates;
const open: ClientSocket[] = [];

beforeAll(() => {
  certs = makeTestCertificates(RP_HOST);
});
afterEach(() => {
  for (const socket of open.splice(0)) socket.close();
});
afterAll(() => {
  certs.remove();
});

describe("BetterAuth ends a session (sign-out, admin ban) → back-channel logout → the app", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(certs, true);
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  test("the access token carries sid and jti; after sign-out it is refused over HTTP and the live socket gets auth:revoked", async () => {
    const { provider, app, proxy, rpOrigin } = stack;
    const { cookie, accessToken } = await signInThroughTheApp(provider, rpOrigin, "dana@example.com");
    const claims = claimsOf(accessToken);
    expect(claims).toMatchObject({ iss: provider.authBaseURL, sid: expect.any(String), jti: expect.any(String) });

    const api = () => fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect((await api()).status).toBe(200);
    const outcome = await connectSocket(app.url, "/chat", { auth: { token: accessToken } });
    expect(outcome.connected).toBe(true);
    const socket = outcome.socket as ClientSocket;
    open.push(socket);
    const events = recordEvents(socket, ["auth:revoked", "disconnect"]);
    const disconnected = nextEvent<string>(socket, "disconnect", 15_000);

    const out = await signOut(provider, cookie);
    expect(out.status).toBe(200);

    expect(await disconnected).toBe("io server disconnect");
    expect(events).toEqual(["auth:revoked", "disconnect"]);
    expect(proxy.relayed).toEqual(["POST /oidc/backchannel-logout 200"]);
    expect(app.revocations).toEqual([expect.objectContaining({ kind: "sid", iss: provider.authBaseURL, sid: claims.sid })]);
    const refused = await api();
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: "ERR_AUTH_TOKEN_INVALID", message: "The access token has been revoked" });
  }, 60_000);

  test("banning the user (admin plugin) deletes their sessions: the app refuses their token and cuts their socket", async () => {
    const { provider, app, proxy, rpOrigin } = stack;
    const { accessToken } = await signInThroughTheApp(provider, rpOrigin, "fay@example.com");
    const claims = claimsOf(accessToken);
    const outcome = await connectSocket(app.url, "/chat", { auth: { token: accessToken } });
    expect(outcome.connected).toBe(true);
    open.push(outcome.socket as ClientSocket);
    const revoked = nextEvent(outcome.socket as ClientSocket, "auth:revoked", 15_000);
    const [relayedBefore, revocationsBefore] = [proxy.relayed.length, app.revocations.length];

    const ban = await fetch(`${provider.authBaseURL}/admin/ban-user`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: provider.baseURL, cookie: provider.adminCookie },
      body: JSON.stringify({ userId: claims.sub, banReason: "interop test" }),
    });
    expect(ban.status).toBe(200);

    expect(await revoked).toEqual({ message: "Your session was revoked" });
    expect(proxy.relayed.slice(relayedBefore)).toEqual(["POST /oidc/backchannel-logout 200"]);
    expect(app.revocations.slice(revocationsBefore)).toEqual([expect.objectContaining({ kind: "sid", sid: claims.sid })]);
    expect((await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(401);
  }, 60_000);
});

describe("negative control: BetterAuth without the test CA", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(certs, false);
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  test("the logout POST fails its TLS check, so nothing reaches the app and the token keeps working", async () => {
    const { provider, app, proxy, rpOrigin } = stack;
    const { cookie, accessToken } = await signInThroughTheApp(provider, rpOrigin, "erin@example.com");
    // BetterAuth delivers before it answers (no background runner is configured), so the attempt is over.
    expect((await signOut(provider, cookie)).status).toBe(200);
    expect(proxy.relayed).toEqual([]);
    expect(app.revocations).toEqual([]);
    // Its log line travels through a pipe: wait for it (bounded).
    await waitFor(() => provider.output().includes("UNABLE_TO_VERIFY_LEAF_SIGNATURE"), 10_000, "BetterAuth's delivery failure in its log");
    expect(provider.output()).toContain(`back-channel logout to client ${provider.clientId} failed`);
    expect(provider.output()).toContain("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    expect((await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(200);
  }, 60_000);
});
