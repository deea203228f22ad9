/**
 * Host use 3 (DESIGN.md): a host app's own tests mock the package's
 * services. Each test builds an isolated container with its own mocked
 * verifier, binds the middleware classes to it and starts its own server:
 * no network for the JWKS, and nothing of one test is seen by the next.
 */
import { afterAll, afterEach, beforeAll, expect, jest, test } from "@jest/globals";
import { container as tsyringeRoot, type DependencyContainer } from "tsyringe";
import type { Socket as ClientSocket } from "socket.io-client";
import {
  bindOidcMiddlewares,
  createOidcContainer,
  ERR_AUTH_TOKEN_INVALID,
  ERR_FORBIDDEN,
  JwksVerifier,
  OidcError,
  oidcContainer,
  TOKENS,
  type VerifiedClaims,
} from "../../src/index.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { ChatService, calls, connectSocket, emitWithAck, ProfileController, startServer } from "../fixtures/app.js";
import { captureLogger } from "../fixtures/doubles.js";

/** How the host app builds its server; its tests pass a container with mocks. */
async function startHostApp(container: DependencyContainer) {
  const { OidcHttpMiddleware, OidcSocketMiddleware, OidcSocketAdminMiddleware } = bindOidcMiddlewares(container);
  return startServer((server) => {
    server.addController({ name: "profile", controller: ProfileController, middlewares: [OidcHttpMiddleware], prefix: "/profile" });
    server.addService({ name: "chat", service: ChatService, middlewares: [OidcSocketMiddleware] });
    server.addService({ name: "admin", service: ChatService, middlewares: [OidcSocketMiddleware, OidcSocketAdminMiddleware] });
  });
}

/** A mocked verifier accepting exactly the given tokens. */
function verifierAccepting(tokens: Record<string, Omit<VerifiedClaims, "iss" | "exp">>) {
  return {
    verify: jest.fn(async (token: string): Promise<VerifiedClaims> => {
      const claims = tokens[token];
      if (!claims) throw new OidcError(ERR_AUTH_TOKEN_INVALID, { reason: "unknown test token" });
      return { iss: "https://auth.test", exp: 4_000_000_000, ...claims } as VerifiedClaims;
    }),
  };
}

// The configuration points at a real JWKS endpoint so any fetch would be counted; none may happen.
let jwks: TestIssuer;
beforeAll(async () => {
  jwks = await TestIssuer.start({ alg: "EdDSA", audience: "host-app" });
});
afterAll(() => jwks.close());

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
  calls.length = 0;
  expect(jwks.jwksRequests).toBe(0);
});

function isolatedContainer(): DependencyContainer {
  const container = createOidcContainer();
  container.register(TOKENS.Environment, { useValue: jwks.env() });
  container.register(TOKENS.Logger, { useValue: captureLogger().logger });
  return container;
}

async function socketTo(url: string, namespace: string, token: string) {
  const outcome = await connectSocket(url, namespace, { auth: { token } });
  if (outcome.socket) cleanup.push(() => void outcome.socket?.close());
  return outcome;
}

const verifierA = verifierAccepting({ "token-alice": { sub: "alice", roles: ["admin"] } });
const provisionerA = { findOrCreate: jest.fn(async () => ({ id: "a-1", role: "admin" })) };

test("host test A: alice, an admin according to its mocks", async () => {
  const container = isolatedContainer();
  container.register(TOKENS.JwksVerifier, { useValue: verifierA });
  container.register(TOKENS.UserProvisioner, { useValue: provisionerA });
  const app = await startHostApp(container);
  cleanup.push(() => app.stop());

  const response = await fetch(`${app.url}/profile`, { headers: { authorization: "Bearer token-alice" } });
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ sub: "alice", userId: "a-1", userRole: "admin" });
  const admin = await socketTo(app.url, "/admin", "token-alice");
  expect(await emitWithAck(admin.socket as ClientSocket, "whoami")).toMatchObject({ userId: "a-1" });
  expect(verifierA.verify).toHaveBeenCalledTimes(2);
  expect(provisionerA.findOrCreate).toHaveBeenCalledTimes(2);
});

test("host test B: a different mocked verifier; nothing of test A is left", async () => {
  const verifierB = verifierAccepting({ "token-bob": { sub: "bob", roles: ["viewer"] } });
  const container = isolatedContainer();
  container.register(TOKENS.JwksVerifier, { useValue: verifierB });
  const app = await startHostApp(container);
  cleanup.push(() => app.stop());
  const callsOfA = { verify: verifierA.verify.mock.calls.length, provision: provisionerA.findOrCreate.mock.calls.length };

  // A's token means nothing to B's verifier.
  const refused = await fetch(`${app.url}/profile`, { headers: { authorization: "Bearer token-alice" } });
  expect(refused.status).toBe(401);
  // B has no provisioner override: the default adapter finds no appHandle.users, so userId is sub and the role comes from the token.
  const ok = await fetch(`${app.url}/profile`, { headers: { authorization: "Bearer token-bob" } });
  expect(await ok.json()).toEqual({ sub: "bob", userId: "bob", userRole: "viewer", roles: ["viewer"], permissions: [], features: {} });
  const admin = await socketTo(app.url, "/admin", "token-bob");
  expect(admin.error?.message).toBe(ERR_FORBIDDEN);

  expect(verifierB.verify).toHaveBeenCalledTimes(3);
  expect(verifierA.verify).toHaveBeenCalledTimes(callsOfA.verify);
  expect(provisionerA.findOrCreate).toHaveBeenCalledTimes(callsOfA.provision);
});

test("the tests above left the default container and tsyringe's root alone", () => {
  expect(oidcContainer.resolve(TOKENS.JwksVerifier)).toBeInstanceOf(JwksVerifier);
  expect(tsyringeRoot.isRegistered(TOKENS.JwksVerifier)).toBe(false);
  expect(tsyringeRoot.isRegistered(TOKENS.UserProvisioner)).toBe(false);
  expect(tsyringeRoot.isRegistered(TOKENS.Environment)).toBe(false);
});
