import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { bindOidcMiddlewares, createOidcContainer, OidcConfigManager, type OidcConfig } from "../../src/index.js";
import { TestIssuer } from "../../src/testing/index.js";
import { connectSocket, httpWhoami, setEnv, startHost, WhoamiController, WhoamiService, type Host } from "./harness.js";

// 0.1.4's OidcConfigManager page and its own tests; and a host's own manager under "oidcConfig", which 0.1.x middlewares read.
let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256", audience: "compat-app" });
});
afterAll(() => issuer.close());

function makeAppHandle() {
  const logs: [number, string][] = [];
  return { log: (level: number, text: string) => void logs.push([level, text]), logs };
}

test("getConfig() before start() throws, as 0.1.x did", () => {
  setEnv({ AUTH_SERVICE_URL: "https://auth.example.com", AUTH_SERVICE_APP_SLUG: "my-app" });
  expect(() => new OidcConfigManager(makeAppHandle()).getConfig()).toThrow("[OidcConfigManager] getConfig() called before start()");
});

test("start() logs one line at level 6 naming authServiceUrl and appSlug; getConfig() then returns the same frozen config", async () => {
  setEnv({ AUTH_SERVICE_URL: issuer.url, AUTH_SERVICE_APP_SLUG: "compat-app" });
  const appHandle = makeAppHandle();
  const manager = new (bindOidcMiddlewares(createOidcContainer()).OidcConfigManager)(appHandle);
  await manager.start();
  expect(appHandle.logs).toEqual([[6, `[OidcConfigManager] Initialized — authServiceUrl=${issuer.url}, appSlug=compat-app`]]);
  const config = manager.getConfig();
  expect(config).toMatchObject({ authServiceUrl: issuer.url, appSlug: "compat-app" });
  expect(manager.getConfig()).toBe(config);
  expect(Object.isFrozen(config)).toBe(true);
});

/** A host's own manager, e.g. settings from a vault; counts its getConfig() calls. */
function hostManager(config: () => OidcConfig) {
  const state = { calls: 0 };
  class VaultConfigManager {
    getConfig(): OidcConfig {
      state.calls += 1;
      return config();
    }
  }
  return { VaultConfigManager, state };
}

async function hostWith(manager: new () => unknown): Promise<Host> {
  // The package's own variables point elsewhere: only the host's manager can make these requests succeed.
  setEnv({ AUTH_SERVICE_URL: "http://127.0.0.1:9", AUTH_SERVICE_APP_SLUG: "not-this-app" });
  const oidc = bindOidcMiddlewares(createOidcContainer());
  return startHost((server) => {
    server.addManager({ name: "oidcConfig", manager });
    server.addController({ name: "whoami", controller: WhoamiController, middlewares: [oidc.OidcHttpMiddleware], prefix: "/whoami" });
    server.addService({ name: "chat", service: WhoamiService, middlewares: [oidc.OidcSocketMiddleware] });
  });
}

test("a host's own manager registered as oidcConfig is honoured by the middlewares, and read once", async () => {
  const { VaultConfigManager, state } = hostManager(() => ({ authServiceUrl: issuer.url, appSlug: "compat-app" }));
  const host = await hostWith(VaultConfigManager);
  try {
    const token = await issuer.mint({ sub: "vault-user" });
    for (let i = 0; i < 3; i++) expect((await httpWhoami(host.url, { authorization: `Bearer ${token}` })).status).toBe(200);
    expect(state.calls).toBe(1);
    const socket = await connectSocket(host.url, "/chat", { auth: { token } });
    socket.socket?.close();
    expect(socket).toMatchObject({ connected: true });
  } finally {
    await host.stop();
  }
});

test("a host manager whose getConfig() throws (not started yet) answers 500 ERR_AUTH_MISCONFIGURED and is asked again on the next request", async () => {
  let ready = false;
  const { VaultConfigManager, state } = hostManager(() => {
    if (!ready) throw new Error("getConfig() called before start()");
    return { authServiceUrl: issuer.url, appSlug: "compat-app" };
  });
  const host = await hostWith(VaultConfigManager);
  try {
    const headers = { authorization: `Bearer ${await issuer.mint()}` };
    expect(await httpWhoami(host.url, headers)).toMatchObject({ status: 500, body: { code: "ERR_AUTH_MISCONFIGURED" } });
    ready = true;
    expect((await httpWhoami(host.url, headers)).status).toBe(200);
    expect((await httpWhoami(host.url, headers)).status).toBe(200);
    expect(state.calls).toBe(2);
  } finally {
    await host.stop();
  }
});

test("the host's config is validated like any other: a missing appSlug is 500 ERR_AUTH_MISCONFIGURED", async () => {
  const { VaultConfigManager } = hostManager(() => ({ authServiceUrl: issuer.url }) as OidcConfig);
  const host = await hostWith(VaultConfigManager);
  try {
    expect(await httpWhoami(host.url, { authorization: `Bearer ${await issuer.mint()}` })).toMatchObject({ status: 500, body: { code: "ERR_AUTH_MISCONFIGURED" } });
  } finally {
    await host.stop();
  }
});
