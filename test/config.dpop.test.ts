import { expect, test } from "@jest/globals";
import { readOidcConfigFromEnv, resolveOidcConfig } from "../src/config.js";

const base = { AUTH_SERVICE_URL: "https://auth.example.com", AUTH_SERVICE_APP_SLUG: "app" };

test("the DPoP settings are read from AUTH_SERVICE_DPOP*, AUTH_SERVICE_PUBLIC_ORIGIN", () => {
  const config = readOidcConfigFromEnv({
    ...base,
    AUTH_SERVICE_DPOP: "Required",
    AUTH_SERVICE_DPOP_ALGORITHMS: "ES256, EdDSA",
    AUTH_SERVICE_DPOP_MAX_AGE: "120",
    AUTH_SERVICE_DPOP_MAX_FUTURE: "5",
    AUTH_SERVICE_DPOP_NONCE_SECRET: "s".repeat(32),
    AUTH_SERVICE_PUBLIC_ORIGIN: "HTTPS://API.Example.com:443/",
  });
  expect(config).toMatchObject({ dpop: "required", dpopAlgorithms: ["ES256", "EdDSA"], dpopMaxAgeSeconds: 120, dpopMaxFutureSeconds: 5, dpopNonceSecret: "s".repeat(32), publicOrigin: "https://api.example.com" });
});

test.each([
  ["AUTH_SERVICE_DPOP", "sometimes", /must be one of allowed, required, disabled/],
  ["AUTH_SERVICE_DPOP_ALGORITHMS", "HS256", /only asymmetric algorithms/],
  ["AUTH_SERVICE_DPOP_ALGORITHMS", "none", /only asymmetric algorithms/],
  ["AUTH_SERVICE_DPOP_MAX_AGE", "0", /at least 1/],
  ["AUTH_SERVICE_DPOP_NONCE_SECRET", "short", /at least 32 characters/],
  ["AUTH_SERVICE_PUBLIC_ORIGIN", "https://api.example.com/prefix", /origin only/],
  ["AUTH_SERVICE_PUBLIC_ORIGIN", "https://api.example.com/?q", /origin only/],
  ["AUTH_SERVICE_PUBLIC_ORIGIN", "ftp://api.example.com", /http\(s\) origin/],
  ["AUTH_SERVICE_PUBLIC_ORIGIN", "api.example.com", /absolute URL/],
])("%s=%s is refused with ERR_AUTH_MISCONFIGURED naming it", (name, value, why) => {
  expect(() => readOidcConfigFromEnv({ ...base, [name]: value })).toThrow(expect.objectContaining({ code: "ERR_AUTH_MISCONFIGURED", message: expect.stringMatching(new RegExp(`${name}.*${why.source}`)) }));
});

test("programmatic config: the OidcConfig fields, checked at run time", () => {
  expect(resolveOidcConfig({ authServiceUrl: "https://auth.example.com", appSlug: "app", dpop: "disabled" }).dpop).toBe("disabled");
  expect(() => resolveOidcConfig({ authServiceUrl: "https://auth.example.com", appSlug: "app", dpop: "yes" as never })).toThrow(/dpop must be one of/);
  expect(() => resolveOidcConfig({ authServiceUrl: "https://auth.example.com", appSlug: "app", dpopNonceSecret: 42 as never })).toThrow(/dpopNonceSecret/);
});
