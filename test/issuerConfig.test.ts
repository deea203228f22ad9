import { describe, expect, test } from "@jest/globals";
import { ERR_AUTH_MISCONFIGURED, OidcError, readOidcConfigFromEnv, resolveOidcConfig, trustedIssuers } from "../src/index.js";

const BASE = { AUTH_SERVICE_URL: "https://auth.example.com", AUTH_SERVICE_APP_SLUG: "my-app" };
const issuers = (value: unknown): Record<string, string> => ({ ...BASE, AUTH_SERVICE_ISSUERS: JSON.stringify(value) });

function refusal(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(OidcError);
    expect((error as OidcError).code).toBe(ERR_AUTH_MISCONFIGURED);
    return (error as OidcError).message;
  }
  throw new Error("expected ERR_AUTH_MISCONFIGURED");
}

describe("unset: 0.1.x behaviour", () => {
  test("no discovery, no extra issuers; the primary issuer is a list of one, the config itself", () => {
    const config = readOidcConfigFromEnv(BASE);
    expect(config).toMatchObject({ discovery: false, issuers: [], jwksUri: "https://auth.example.com/api/auth/jwks" });
    expect(trustedIssuers(config)).toEqual([config]);
    expect(trustedIssuers(config)[0]).toBe(config);
  });
});

describe("AUTH_SERVICE_DISCOVERY", () => {
  test("leaves the JWKS URI to discovery unless AUTH_SERVICE_JWKS_URI is set", () => {
    expect(readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_DISCOVERY: "true" }).jwksUri).toBeUndefined();
    expect(readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_DISCOVERY: "true", AUTH_SERVICE_JWKS_URI: "https://keys.example.com/jwks" }).jwksUri).toBe(
      "https://keys.example.com/jwks",
    );
  });

  test("needs an http(s) issuer to discover; refuses a non-boolean", () => {
    expect(refusal(() => readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_DISCOVERY: "true", AUTH_SERVICE_ISSUER: "urn:example:issuer" }))).toContain(
      "AUTH_SERVICE_ISSUER must be an http(s) URL without query or fragment to be discovered",
    );
    expect(refusal(() => readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_DISCOVERY: "yes" }))).toContain('AUTH_SERVICE_DISCOVERY must be "true" or "false"');
    expect(refusal(() => resolveOidcConfig({ authServiceUrl: BASE.AUTH_SERVICE_URL, appSlug: "a", discovery: "true" as unknown as boolean }))).toContain(
      "discovery must be true or false",
    );
  });

  test("a resolved config resolves to itself (round trip)", () => {
    const config = readOidcConfigFromEnv({ ...issuers([{ issuer: "https://partner.example", discovery: true }]), AUTH_SERVICE_DISCOVERY: "true" });
    expect(resolveOidcConfig(config)).toEqual(config);
  });
});

describe("AUTH_SERVICE_ISSUERS", () => {
  test("entries take the top-level audience, algorithms and token types unless they set their own", () => {
    const config = readOidcConfigFromEnv({
      ...issuers([
        { issuer: "https://a.example", jwksUri: "https://a.example/jwks" },
        { issuer: "https://b.example", discovery: true, audience: "api://b", algorithms: ["ES256"], tokenTypes: ["at+jwt"] },
      ]),
      AUTH_SERVICE_TOKEN_TYPES: "jwt",
    });
    expect(config.issuers).toEqual([
      { issuer: "https://a.example", jwksUri: "https://a.example/jwks", discovery: false, audience: "my-app", algorithms: config.algorithms, tokenTypes: ["jwt"] },
      { issuer: "https://b.example", jwksUri: undefined, discovery: true, audience: "api://b", algorithms: ["ES256"], tokenTypes: ["at+jwt"] },
    ]);
    expect(trustedIssuers(config).map((view) => [view.issuer, view.audience, view.jwksUri])).toEqual([
      ["https://auth.example.com", "my-app", "https://auth.example.com/api/auth/jwks"],
      ["https://a.example", "my-app", "https://a.example/jwks"],
      ["https://b.example", "api://b", undefined],
    ]);
  });

  test("AUTH_SERVICE_DISCOVERY=true is the default for entries without a jwksUri", () => {
    const config = readOidcConfigFromEnv({ ...issuers([{ issuer: "https://a.example" }]), AUTH_SERVICE_DISCOVERY: "true" });
    expect(config.issuers[0]).toMatchObject({ discovery: true, jwksUri: undefined });
  });

  test.each([
    ["not JSON", "[{", "AUTH_SERVICE_ISSUERS must be a JSON array of issuer objects"],
    ["an object", "{}", "AUTH_SERVICE_ISSUERS must be an array"],
    ["an entry that is a string", '["https://a.example"]', "AUTH_SERVICE_ISSUERS[0] must be an object"],
    ["no issuer", '[{"jwksUri":"https://a.example/jwks"}]', "AUTH_SERVICE_ISSUERS[0].issuer is required"],
    ["neither jwksUri nor discovery", '[{"issuer":"https://a.example"}]', "AUTH_SERVICE_ISSUERS[0] needs a jwksUri, or discovery: true"],
    ["a misspelt field", '[{"issuer":"https://a.example","jwks_uri":"https://a.example/jwks"}]', 'AUTH_SERVICE_ISSUERS[0] has an unknown field "jwks_uri"'],
    ["an http jwksUri", '[{"issuer":"https://a.example","jwksUri":"http://a.example/jwks"}]', "AUTH_SERVICE_ISSUERS[0].jwksUri must use https:"],
    ["an HS256 algorithm", '[{"issuer":"https://a.example","discovery":true,"algorithms":["HS256"]}]', 'AUTH_SERVICE_ISSUERS[0].algorithms contains "HS256"'],
    ["the primary issuer again", '[{"issuer":"https://auth.example.com","discovery":true}]', "is trusted twice"],
    ["an issuer twice", '[{"issuer":"https://a.example","discovery":true},{"issuer":"https://a.example","discovery":true}]', "AUTH_SERVICE_ISSUERS[1].issuer"],
    ["a non-URL issuer to discover", '[{"issuer":"urn:a","discovery":true}]', "AUTH_SERVICE_ISSUERS[0].issuer must be an http(s) URL without query or fragment"],
    ["an issuer with a query to discover", '[{"issuer":"https://a.example/?t=1","discovery":true}]', "AUTH_SERVICE_ISSUERS[0].issuer must be an http(s) URL without query"],
    ["an empty audience", '[{"issuer":"https://a.example","discovery":true,"audience":""}]', "AUTH_SERVICE_ISSUERS[0].audience must be a non-empty string"],
  ])("%s is refused, naming the entry", (_name, raw, message) => {
    expect(refusal(() => readOidcConfigFromEnv({ ...BASE, AUTH_SERVICE_ISSUERS: raw }))).toContain(message);
  });

  test("programmatic errors name the field as written", () => {
    expect(refusal(() => resolveOidcConfig({ authServiceUrl: BASE.AUTH_SERVICE_URL, appSlug: "a", issuers: [{ issuer: "" }] }))).toContain("issuers[0].issuer");
  });
});
