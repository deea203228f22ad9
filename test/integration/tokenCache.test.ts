import { afterAll, beforeAll, beforeEach, expect, jest, test } from "@jest/globals";
import { bindOidcMiddlewares, createOidcContainer, ERR_USER_DISABLED, TOKENS } from "../../src/index.js";
import { createOidcLogger } from "../../src/services/logger.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { ChatService, ProfileController, connectSocket, startServer } from "../fixtures/app.js";

// The cache seen from a real IOServer: a repeated token skips the signature
// check, yet the host's user store is asked on every request, so disabling
// an account refuses its very next request, cached token or not.

/** The host's user store, reached by the default provisioner through appHandle.users. */
const store = { disabled: new Set<string>(), lookups: 0 };
class UsersManager {
  findOrCreate(sub: string) {
    store.lookups += 1;
    return { id: `local-${sub}`, role: "user", isDisabled: store.disabled.has(sub) };
  }
}

let issuer: TestIssuer;
let app: Awaited<ReturnType<typeof startServer>>;
let getKey: jest.SpiedFunction<(alg: string, kid: string | undefined) => Promise<unknown>>;

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "RS256" });
  const container = createOidcContainer();
  container.register(TOKENS.Environment, { useValue: issuer.env() });
  container.register(TOKENS.Logger, { useValue: createOidcLogger(undefined, "silent") });
  getKey = jest.spyOn(container.resolve(TOKENS.KeySetRegistry).get(container.resolve(TOKENS.ConfigService).get()), "getKey");
  const oidc = bindOidcMiddlewares(container);
  app = await startServer((server) => {
    server.addManager({ name: "users", manager: UsersManager });
    server.addController({ name: "profile", controller: ProfileController, middlewares: [oidc.OidcHttpMiddleware], prefix: "/profile" });
    server.addService({ name: "chat", service: ChatService, middlewares: [oidc.OidcSocketMiddleware] });
  });
});
afterAll(async () => {
  await app.stop();
  await issuer.close();
});
beforeEach(() => {
  store.disabled.clear();
  store.lookups = 0;
  getKey.mockClear();
});

const get = (token: string) => fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${token}` } });

test("HTTP: a repeated token is verified once, the user store is asked every time, and disabling refuses at once", async () => {
  const token = await issuer.mint({ sub: "carol" });
  for (let i = 0; i < 3; i++) {
    const res = await get(token);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ sub: "carol", userId: "local-carol" });
  }
  expect(getKey).toHaveBeenCalledTimes(1);
  expect(store.lookups).toBe(3);

  store.disabled.add("carol");
  const refused = await get(token);
  expect(refused.status).toBe(403);
  expect(await refused.json()).toMatchObject({ code: ERR_USER_DISABLED });
  expect(getKey).toHaveBeenCalledTimes(1);

  store.disabled.delete("carol");
  expect((await get(token)).status).toBe(200);
});

test("Socket.IO: a cached token of a disabled user is refused at the handshake", async () => {
  const token = await issuer.mint({ sub: "dave" });
  const first = await connectSocket(app.url, "/chat", { auth: { token } });
  expect(first.connected).toBe(true);
  first.socket?.close();

  store.disabled.add("dave");
  const second = await connectSocket(app.url, "/chat", { auth: { token } });
  expect(second.connected).toBe(false);
  expect(second.error?.message).toBe(ERR_USER_DISABLED);
  expect(getKey).toHaveBeenCalledTimes(1);
  expect(store.lookups).toBe(2);
});

test("HTTP and Socket.IO share one cache: a token verified over HTTP is not verified again at the handshake", async () => {
  const token = await issuer.mint({ sub: "erin" });
  expect((await get(token)).status).toBe(200);
  const socket = await connectSocket(app.url, "/chat", { auth: { token } });
  expect(socket.connected).toBe(true);
  socket.socket?.close();
  expect(getKey).toHaveBeenCalledTimes(1);
});
