import { describe, expect, test } from "@jest/globals";
import { createOidcContainer } from "../../src/container.js";
import { ERR_AUTH_MISCONFIGURED, OidcError } from "../../src/errors.js";
import { EnvConfigService, StaticConfigService } from "../../src/services/ConfigService.js";
import { TOKENS } from "../../src/tokens.js";

const ENV = { AUTH_SERVICE_URL: "https://auth.example.com", AUTH_SERVICE_APP_SLUG: "my-app" };

describe("EnvConfigService", () => {
  test("reads the environment bound to TOKENS.Environment", () => {
    const container = createOidcContainer();
    container.register(TOKENS.Environment, { useValue: { ...ENV } });
    const config = container.resolve(TOKENS.ConfigService).get();
    expect(config.appSlug).toBe("my-app");
    expect(config.jwksUri).toBe("https://auth.example.com/api/auth/jwks");
  });

  test("does not read the environment before first use (IOServer may construct things before the env is set)", () => {
    const env: NodeJS.ProcessEnv = {};
    const service = new EnvConfigService(env);
    Object.assign(env, ENV);
    expect(service.get().authServiceUrl).toBe("https://auth.example.com");
  });

  test("reads once: later changes to the environment are not seen", () => {
    const env: NodeJS.ProcessEnv = { ...ENV };
    const service = new EnvConfigService(env);
    const first = service.get();
    env.AUTH_SERVICE_APP_SLUG = "other-app";
    expect(service.get()).toBe(first);
    expect(service.get().appSlug).toBe("my-app");
  });

  test("does not keep an invalid outcome: each call reads again, so fixing the environment heals the next call", () => {
    const env: NodeJS.ProcessEnv = { AUTH_SERVICE_URL: "https://auth.example.com" };
    const service = new EnvConfigService(env);
    let first: unknown;
    try {
      service.get();
    } catch (error) {
      first = error;
    }
    expect(first).toBeInstanceOf(OidcError);
    expect((first as OidcError).code).toBe(ERR_AUTH_MISCONFIGURED);
    expect((first as OidcError).message).toContain("AUTH_SERVICE_APP_SLUG");
    expect(() => service.get()).toThrow(/AUTH_SERVICE_APP_SLUG/);
    env.AUTH_SERVICE_APP_SLUG = "my-app";
    expect(service.get().appSlug).toBe("my-app");
  });

  test("is a singleton of its container, and two containers read their own environments", () => {
    const a = createOidcContainer();
    a.register(TOKENS.Environment, { useValue: { ...ENV, AUTH_SERVICE_APP_SLUG: "app-a" } });
    const b = createOidcContainer();
    b.register(TOKENS.Environment, { useValue: { ...ENV, AUTH_SERVICE_APP_SLUG: "app-b" } });
    expect(a.resolve(TOKENS.ConfigService)).toBe(a.resolve(TOKENS.ConfigService));
    expect(a.resolve(TOKENS.ConfigService).get().appSlug).toBe("app-a");
    expect(b.resolve(TOKENS.ConfigService).get().appSlug).toBe("app-b");
  });
});

describe("StaticConfigService", () => {
  test("validates at construction and serves the completed config", () => {
    const service = new StaticConfigService({ authServiceUrl: "https://auth.example.com", appSlug: "my-app", audience: "api" });
    expect(service.get().audience).toBe("api");
    expect(service.get().issuer).toBe("https://auth.example.com");
  });

  test("an invalid config throws at construction, naming the field", () => {
    expect(() => new StaticConfigService({ authServiceUrl: "https://auth.example.com", appSlug: " " })).toThrow(/appSlug/);
  });

  test("can replace the default through the container", () => {
    const container = createOidcContainer();
    container.register(TOKENS.Environment, { useValue: {} });
    container.register(TOKENS.ConfigService, { useValue: new StaticConfigService({ authServiceUrl: "https://auth.example.com", appSlug: "static" }) });
    expect(container.resolve(TOKENS.ConfigService).get().appSlug).toBe("static");
  });
});
