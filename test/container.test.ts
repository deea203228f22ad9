import { describe, expect, test } from "@jest/globals";
import { container as tsyringeRoot, type InjectionToken } from "tsyringe";
import { createOidcContainer, oidcContainer, scopeFor } from "../src/container.js";
import { AppHandleConfigService, EnvConfigService } from "../src/services/ConfigService.js";
import { JwksVerifier } from "../src/services/verification/JwksVerifier.js";
import { KeySetRegistry } from "../src/services/keys/KeySetRegistry.js";
import { AppHandleUserProvisioner } from "../src/services/UserProvisioner.js";
import { AppHandleSessionRegistrar } from "../src/services/sessions/SocketSessionRegistrar.js";
import { AuthPipeline } from "../src/services/AuthPipeline.js";
import { systemClock } from "../src/services/Clock.js";
import { TOKENS } from "../src/tokens.js";

/** Collaborators every middleware of a container shares. */
const SHARED: InjectionToken<unknown>[] = [EnvConfigService, TOKENS.KeySetRegistry, TOKENS.VerifiedTokenCache, TOKENS.Logger];
/** Collaborators each middleware `handle(appHandle)` gets its own of, bound to its appHandle. */
const PER_SCOPE: InjectionToken<unknown>[] = [TOKENS.ConfigService, TOKENS.JwksVerifier, TOKENS.UserProvisioner, TOKENS.SocketSessionRegistrar];

describe("createOidcContainer", () => {
  test("binds every token to its default", () => {
    const c = createOidcContainer();
    const scope = scopeFor(c, {});
    expect(c.resolve(TOKENS.Environment).PATH).toBe(process.env.PATH);
    expect(c.resolve(TOKENS.Clock)).toBe(systemClock);
    expect(c.resolve(TOKENS.ConfigService)).toBeInstanceOf(AppHandleConfigService);
    expect(c.resolve(TOKENS.KeySetRegistry)).toBeInstanceOf(KeySetRegistry);
    expect(c.resolve(TOKENS.JwksVerifier)).toBeInstanceOf(JwksVerifier);
    expect(scope.resolve(TOKENS.UserProvisioner)).toBeInstanceOf(AppHandleUserProvisioner);
    expect(scope.resolve(TOKENS.SocketSessionRegistrar)).toBeInstanceOf(AppHandleSessionRegistrar);
    expect(scope.resolve(TOKENS.AuthPipeline)).toBeInstanceOf(AuthPipeline);
    expect(typeof c.resolve(TOKENS.Logger).info).toBe("function");
  });

  test("the logger's level comes from the container's environment, and an invalid one falls back to info instead of throwing", () => {
    const quiet = createOidcContainer();
    quiet.register(TOKENS.Environment, { useValue: { AUTH_SERVICE_LOG_LEVEL: "error" } });
    expect(quiet.resolve(TOKENS.Logger).level).toBe("error");
    const invalid = createOidcContainer();
    invalid.register(TOKENS.Environment, { useValue: { AUTH_SERVICE_LOG_LEVEL: "verbose" } });
    expect(invalid.resolve(TOKENS.Logger).level).toBe("info");
  });

  test("shared collaborators are singletons of their container, also when resolved from a middleware scope", () => {
    const c = createOidcContainer();
    for (const token of SHARED) {
      expect(scopeFor(c, {}).resolve(token)).toBe(c.resolve(token));
    }
  });

  test("the appHandle adapters and the verifier reading their config are one per middleware scope", () => {
    const c = createOidcContainer();
    const [a, b] = [scopeFor(c, {}), scopeFor(c, {})];
    for (const token of PER_SCOPE) {
      expect(a.resolve(token)).toBe(a.resolve(token));
      expect(a.resolve(token)).not.toBe(b.resolve(token));
    }
  });

  test("the default environment is process.env as it is when read, even after the object was replaced", () => {
    const env = createOidcContainer().resolve(TOKENS.Environment);
    const original = process.env;
    try {
      process.env = { ...original, AUTH_SERVICE_APP_SLUG: "replaced-after-import" };
      expect(env.AUTH_SERVICE_APP_SLUG).toBe("replaced-after-import");
      expect(Object.keys(env)).toContain("AUTH_SERVICE_APP_SLUG");
    } finally {
      process.env = original;
    }
  });

  test("two containers share nothing", () => {
    const a = createOidcContainer();
    const b = createOidcContainer();
    for (const token of SHARED) {
      expect(a.resolve(token)).not.toBe(b.resolve(token));
    }
  });

  test("an override in one container is not seen by another, by the default container or by tsyringe's root", () => {
    const fake = { verify: async () => Promise.reject(new Error("fake")) };
    const a = createOidcContainer();
    a.register(TOKENS.JwksVerifier, { useValue: fake });
    expect(a.resolve(TOKENS.JwksVerifier)).toBe(fake);
    expect(createOidcContainer().resolve(TOKENS.JwksVerifier)).toBeInstanceOf(JwksVerifier);
    expect(oidcContainer.resolve(TOKENS.JwksVerifier)).toBeInstanceOf(JwksVerifier);
    expect(tsyringeRoot.isRegistered(TOKENS.JwksVerifier, true)).toBe(false);
  });

  test("an override registered after the container was made reaches the pipelines built afterwards", async () => {
    const c = createOidcContainer();
    c.register(TOKENS.JwksVerifier, { useValue: { verify: async () => ({ sub: "s", iss: "i", exp: 1 }) } });
    c.register(TOKENS.UserProvisioner, { useValue: { findOrCreate: () => ({ id: "overridden" }) } });
    const result = await scopeFor(c, {}).resolve(TOKENS.AuthPipeline).authenticateRequest(() => "a.b.c", "test");
    expect(result.context.userId).toBe("overridden");
  });
});

describe("scopeFor", () => {
  test("gives each middleware handle() its own appHandle adapters", () => {
    const c = createOidcContainer();
    const a = scopeFor(c, { users: {} });
    const b = scopeFor(c, { users: {} });
    expect(a.resolve(TOKENS.AppHandle)).not.toBe(b.resolve(TOKENS.AppHandle));
    expect(a.resolve(TOKENS.UserProvisioner)).not.toBe(b.resolve(TOKENS.UserProvisioner));
    // Within one scope, the adapter is resolved once.
    expect(a.resolve(TOKENS.UserProvisioner)).toBe(a.resolve(TOKENS.UserProvisioner));
  });

  test("a missing appHandle becomes an empty one", () => {
    expect(scopeFor(createOidcContainer(), undefined).resolve(TOKENS.AppHandle)).toEqual({});
  });
});
