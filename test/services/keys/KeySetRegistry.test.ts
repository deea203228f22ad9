import { expect, test } from "@jest/globals";
import { readOidcConfigFromEnv } from "../../../src/config.js";
import { ERR_AUTH_UNAVAILABLE } from "../../../src/errors.js";
import { KeySetRegistry } from "../../../src/services/keys/KeySetRegistry.js";
import { captureLogger, manualClock } from "../../fixtures/doubles.js";
import { MetadataServer } from "../../fixtures/metadataServer.js";

const config = (env: Record<string, string> = {}) =>
  readOidcConfigFromEnv({ AUTH_SERVICE_URL: "https://auth.example.com", AUTH_SERVICE_APP_SLUG: "app", ...env });

test("one key set per JWKS URI, whatever else differs between the configs", () => {
  const registry = new KeySetRegistry(manualClock(), captureLogger().logger);
  const first = registry.get(config());
  expect(registry.get(config({ AUTH_SERVICE_APP_SLUG: "other-app" }))).toBe(first);
  expect(registry.get(config({ AUTH_SERVICE_JWKS_URI: "https://auth.example.com/other/jwks" }))).not.toBe(first);
});

test("the first config naming a URI sets its timings", () => {
  const clock = manualClock();
  const registry = new KeySetRegistry(clock, captureLogger().logger);
  const keySet = registry.get(config({ AUTH_SERVICE_JWKS_COOLDOWN: "10" }));
  registry.get(config({ AUTH_SERVICE_JWKS_COOLDOWN: "99" }));
  // Nothing fetched yet: not cooling down, and not fresh.
  expect(keySet.coolingDown).toBe(false);
  expect(keySet.fresh).toBe(false);
  expect(keySet.fetchCount).toBe(0);
});

test("two registries (two containers) never share a key set", () => {
  const a = new KeySetRegistry(manualClock(), captureLogger().logger);
  const b = new KeySetRegistry(manualClock(), captureLogger().logger);
  expect(a.get(config())).not.toBe(b.get(config()));
});

test("one key set per issuer: two issuers never share keys, even at the same JWKS URI", () => {
  const registry = new KeySetRegistry(manualClock(), captureLogger().logger);
  const jwks = { AUTH_SERVICE_JWKS_URI: "https://keys.example.com/jwks" };
  const a = registry.get(config({ ...jwks, AUTH_SERVICE_ISSUER: "https://a.example" }));
  expect(registry.get(config({ ...jwks, AUTH_SERVICE_ISSUER: "https://a.example", AUTH_SERVICE_APP_SLUG: "x" }))).toBe(a);
  expect(registry.get(config({ ...jwks, AUTH_SERVICE_ISSUER: "https://b.example" }))).not.toBe(a);
});

test("a discovered JWKS URI: get() refuses, current() has none before discovery, one metadata per issuer", () => {
  const registry = new KeySetRegistry(manualClock(), captureLogger().logger);
  const discovered = config({ AUTH_SERVICE_DISCOVERY: "true" });
  expect(() => registry.get(discovered)).toThrow(/is discovered; use keySetFor/);
  expect(registry.current(discovered)).toBeUndefined();
  expect(registry.metadataFor(discovered)).toBe(registry.metadataFor(config({ AUTH_SERVICE_DISCOVERY: "true", AUTH_SERVICE_APP_SLUG: "x" })));
  expect(registry.metadataFor(discovered).fetchCount).toBe(0);
});

test("a config that refuses an insecure jwks_uri is not served the discovery of one that allowed it", async () => {
  const host = await MetadataServer.start();
  try {
    // A discovered http: URI off loopback: only AUTH_SERVICE_ALLOW_INSECURE_HTTP=true accepts it.
    host.serve("http://keys.example.com/jwks");
    const registry = new KeySetRegistry(manualClock(), captureLogger().logger);
    const discovered = { AUTH_SERVICE_DISCOVERY: "true", AUTH_SERVICE_ISSUER: host.issuer };
    const lenient = config({ ...discovered, AUTH_SERVICE_ALLOW_INSECURE_HTTP: "true" });
    await expect(registry.keySetFor(lenient)).resolves.toBeDefined();
    const strict = config(discovered);
    await expect(registry.keySetFor(strict)).rejects.toMatchObject({ code: ERR_AUTH_UNAVAILABLE });
    expect(registry.current(strict)).toBeUndefined();
  } finally {
    await host.close();
  }
});
