/**
 * A real IOServer protected by ioserver-oidc, configured only through
 * `AUTH_SERVICE_*` variables: they go into the environment an isolated
 * container reads (TOKENS.Environment), so each test has its own settings,
 * key cache and clock without touching `process.env`.
 *
 * Routes: GET /profile (OidcHttpMiddleware), namespace /chat
 * (OidcSocketMiddleware) and /admin (OidcSocketMiddleware +
 * OidcSocketAdminMiddleware); both namespaces answer "whoami" with the
 * injected context.
 */
import { expect } from "@jest/globals";
import type { DependencyContainer } from "tsyringe";
import { bindOidcMiddlewares, createOidcContainer, createOidcLogger, oidcReady, TOKENS, type Clock, type OidcErrorCode } from "../../src/index.js";
import { ChatService, ProfileController, calls, connectSocket, emitWithAck, startServer } from "../fixtures/app.js";

export type AuthServiceEnv = Record<`AUTH_SERVICE_${string}`, string>;

export interface ProtectedApp {
  url: string;
  container: DependencyContainer;
  stop(): Promise<void>;
}

export async function startProtectedApp(env: AuthServiceEnv, options: { clock?: Clock } = {}): Promise<ProtectedApp> {
  const container = createOidcContainer();
  container.register(TOKENS.Environment, { useValue: env });
  // Refusals are asserted through the responses; their log lines would only be noise here.
  container.register(TOKENS.Logger, { useValue: createOidcLogger(undefined, "silent") });
  if (options.clock) container.register(TOKENS.Clock, { useValue: options.clock });
  const oidc = bindOidcMiddlewares(container);
  const app = await startServer((server) => {
    server.addManager({ name: "oidcConfig", manager: oidc.OidcConfigManager });
    server.addController({ name: "profile", controller: ProfileController, middlewares: [oidc.OidcHttpMiddleware], prefix: "/profile" });
    server.addService({ name: "chat", service: ChatService, middlewares: [oidc.OidcSocketMiddleware] });
    server.addService({ name: "admin", service: ChatService, middlewares: [oidc.OidcSocketMiddleware, oidc.OidcSocketAdminMiddleware] });
  });
  // The manager's start() (not awaited by IOServer) loads the JWKS; wait for it so JWKS request counts are exact.
  await oidcReady(container);
  return { url: app.url, container, stop: app.stop };
}

/** The context the handlers saw. */
export type Context = Record<string, unknown>;

/** GET /profile with the token; the context the handler returned (fails the test on any other outcome). */
export async function httpContext(url: string, token: string): Promise<Context> {
  const res = await fetch(`${url}/profile`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as Context;
  expect({ status: res.status, body }).toEqual({ status: 200, body: expect.objectContaining({ sub: expect.any(String) }) });
  return body;
}

/** Connects to the namespace with the token and asks "whoami"; the context the service saw. */
export async function socketContext(url: string, namespace: string, token: string): Promise<Context> {
  const outcome = await connectSocket(url, namespace, { auth: { token } });
  expect({ connected: outcome.connected, error: outcome.error }).toEqual({ connected: true, error: undefined });
  try {
    return await emitWithAck<Context>(outcome.socket!, "whoami");
  } finally {
    outcome.socket!.close();
  }
}

/** The same context over HTTP and over Socket.IO (/chat). */
export async function contextEverywhere(url: string, token: string): Promise<Context> {
  const viaHttp = await httpContext(url, token);
  expect(await socketContext(url, "/chat", token)).toEqual(viaHttp);
  return viaHttp;
}

/** The refusal a Socket.IO handshake got: its `connect_error` message is the code. */
export async function socketRefusal(url: string, namespace: string, token: string): Promise<string | undefined> {
  const outcome = await connectSocket(url, namespace, { auth: { token } });
  outcome.socket?.close();
  return outcome.connected ? undefined : outcome.error?.message;
}

/**
 * The token is refused with `code` over HTTP (status, body and challenge)
 * and on the Socket.IO handshake, and no handler ran.
 */
export async function expectRefusedEverywhere(url: string, token: string, code: OidcErrorCode, statusCode: number): Promise<void> {
  const before = calls.length;
  const res = await fetch(`${url}/profile`, { headers: { authorization: `Bearer ${token}` } });
  expect({ status: res.status, body: await res.json() }).toEqual({ status: statusCode, body: expect.objectContaining({ statusCode, code }) });
  expect(await socketRefusal(url, "/chat", token)).toBe(code);
  expect(calls.length).toBe(before);
}
