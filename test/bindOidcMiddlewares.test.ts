import { expect, test } from "@jest/globals";
import { bindOidcMiddlewares } from "../src/bindOidcMiddlewares.js";
import { createOidcContainer, oidcContainer } from "../src/container.js";
import { OidcConfigManager } from "../src/OidcConfigManager.js";
import { OidcHttpMiddleware } from "../src/middlewares/OidcHttpMiddleware.js";
import { OidcSocketAdminMiddleware } from "../src/middlewares/OidcSocketAdminMiddleware.js";
import { OidcSocketMiddleware } from "../src/middlewares/OidcSocketMiddleware.js";
import { TOKENS } from "../src/tokens.js";

test("the exported classes use the default container", () => {
  for (const cls of [OidcConfigManager, OidcHttpMiddleware, OidcSocketMiddleware, OidcSocketAdminMiddleware]) expect(cls.container).toBe(oidcContainer);
});

test("bound classes are subclasses IOServer can construct with no arguments, resolving from the given container", () => {
  const container = createOidcContainer();
  const bound = bindOidcMiddlewares(container);
  expect(new bound.OidcHttpMiddleware()).toBeInstanceOf(OidcHttpMiddleware);
  expect(new bound.OidcSocketMiddleware()).toBeInstanceOf(OidcSocketMiddleware);
  expect(new bound.OidcSocketAdminMiddleware()).toBeInstanceOf(OidcSocketAdminMiddleware);
  expect(new bound.OidcConfigManager({})).toBeInstanceOf(OidcConfigManager);
  for (const cls of [bound.OidcConfigManager, bound.OidcHttpMiddleware, bound.OidcSocketMiddleware, bound.OidcSocketAdminMiddleware, bound.OidcHttpAdminMiddleware]) {
    expect(cls.container).toBe(container);
  }
  expect(bound.requireRoles("admin").http.container).toBe(container);
  expect(bound.requirePermissions(["a"]).socket.container).toBe(container);
});

test("binding to one container leaves the exported classes and other bindings alone", () => {
  const a = bindOidcMiddlewares(createOidcContainer());
  const b = bindOidcMiddlewares(createOidcContainer());
  expect(a.OidcHttpMiddleware.container).not.toBe(b.OidcHttpMiddleware.container);
  expect(OidcHttpMiddleware.container).toBe(oidcContainer);
});

test("a bound manager reads its own container's configuration", async () => {
  const container = createOidcContainer();
  container.register(TOKENS.Environment, { useValue: { AUTH_SERVICE_URL: "https://auth.example.com", AUTH_SERVICE_APP_SLUG: "bound-app" } });
  // A verifier without a warm-up: start() loads no JWKS.
  container.register(TOKENS.JwksVerifier, { useValue: { verify: () => Promise.reject(new Error("not used")) } });
  const manager = new (bindOidcMiddlewares(container).OidcConfigManager)({});
  await manager.start();
  expect(manager.getConfig().appSlug).toBe("bound-app");
});
