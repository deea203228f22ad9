import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { errors, SignJWT } from "jose";
import { ERR_AUTH_MISCONFIGURED, ERR_AUTH_UNAVAILABLE, OidcError, verifyOidcToken, type OidcConfig, type OidcUserContext } from "../../src/index.js";
import { TestIssuer } from "../../src/testing/index.js";

// 0.1.4's verifyOidcToken page ("Throws a jose JWTVerifyError (or subclass)") and its own jwks tests, against a real JWKS.
// The default container's logger (made on first use) stays quiet: the unreachable JWKS below is expected.
process.env.AUTH_SERVICE_LOG_LEVEL = "silent";

let issuer: TestIssuer;
let config: OidcConfig;
beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "RS256", audience: "my-app" });
  config = { authServiceUrl: issuer.url, appSlug: "my-app" };
});
afterAll(() => issuer.close());

const rejection = (token: string, cfg: OidcConfig = config): Promise<unknown> => verifyOidcToken(token, cfg).then(
  () => {
    throw new Error("verifyOidcToken resolved");
  },
  (error: unknown) => error,
);

test("maps the full claim set to OidcUserContext (userId is sub), org_id included when present", async () => {
  const token = await issuer.mint({ sub: "user-abc", email: "alice@example.com", name: "Alice", roles: ["admin", "user"], permissions: ["read", "write"], features: { maxProjects: 10 } });
  const expected: OidcUserContext = {
    userId: "user-abc",
    sub: "user-abc",
    email: "alice@example.com",
    name: "Alice",
    userRole: "admin",
    roles: ["admin", "user"],
    permissions: ["read", "write"],
    features: { maxProjects: 10 },
    // Beyond 0.1.x: the issuer and the scopes (none in this token).
    iss: issuer.issuer,
    scopes: [],
  };
  expect(await verifyOidcToken(token, config)).toStrictEqual(expected);
  expect((await verifyOidcToken(await issuer.mint({ org_id: "org-1" }), config)).org_id).toBe("org-1");
});

test("missing claims fall back to null, empty arrays and objects, and userRole \"user\"", async () => {
  const ctx = await verifyOidcToken(await issuer.mint({ sub: "user-1" }), config);
  expect(ctx).toMatchObject({ email: null, name: null, roles: [], permissions: [], features: {}, userRole: "user" });
  expect(ctx).not.toHaveProperty("org_id");
});

test("the default issuer is authServiceUrl without its trailing slash; issuer, jwksUri and audience overrides apply", async () => {
  expect((await verifyOidcToken(await issuer.mint(), { authServiceUrl: `${issuer.url}/`, appSlug: "my-app" })).sub).toBe("user-1");
  const custom = await TestIssuer.start({ issuer: "https://issuer.example.com", jwksPath: "/keys", audience: "https://api.example.com" });
  try {
    const ctx = await verifyOidcToken(await custom.mint(), {
      authServiceUrl: custom.url,
      appSlug: "my-app",
      jwksUri: custom.jwksUri,
      issuer: "https://issuer.example.com",
      audience: "https://api.example.com",
    });
    expect(ctx.sub).toBe("user-1");
  } finally {
    await custom.close();
  }
});

test("an expired token rejects with jose's errors.JWTExpired", async () => {
  const error = await rejection(await issuer.mint({}, { expiresIn: -60 }));
  expect(error).toBeInstanceOf(errors.JWTExpired);
  expect(error).toMatchObject({ code: "ERR_JWT_EXPIRED", claim: "exp" });
});

test("claim mismatches reject with errors.JWTClaimValidationFailed naming the claim", async () => {
  const now = Math.floor(Date.now() / 1000);
  const cases: [Record<string, unknown>, string][] = [
    [{ aud: "other-app" }, "aud"],
    [{ iss: "https://evil.example.com" }, "iss"],
    [{ nbf: now + 3600 }, "nbf"],
  ];
  for (const [claims, claim] of cases) {
    const error = await rejection(await issuer.mint(claims));
    expect(error).toBeInstanceOf(errors.JWTClaimValidationFailed);
    expect((error as errors.JWTClaimValidationFailed).claim).toBe(claim);
  }
  const noExp = await rejection(await issuer.mint({}, { omit: ["exp"] }));
  expect(noExp).toMatchObject({ name: "JWTClaimValidationFailed", claim: "exp", reason: "missing" });
});

test("a bad signature rejects with errors.JWSSignatureVerificationFailed", async () => {
  const [header, payload, signature] = (await issuer.mint({ sub: "mallory" })).split(".");
  const tampered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, "base64url").toString()), roles: ["admin"] })).toString("base64url");
  expect(await rejection(`${header}.${tampered}.${signature}`)).toBeInstanceOf(errors.JWSSignatureVerificationFailed);
});

test("a token signed with a key the JWKS does not publish rejects with errors.JWKSNoMatchingKey", async () => {
  const forged = await TestIssuer.forge({ sub: "x", iss: issuer.issuer, aud: "my-app", exp: Math.floor(Date.now() / 1000) + 60 });
  expect(await rejection(forged)).toBeInstanceOf(errors.JWKSNoMatchingKey);
});

test("a symmetric (HS256) token and garbage reject with jose errors too", async () => {
  const hs = await new SignJWT({ sub: "x", iss: issuer.issuer, aud: "my-app" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1m").sign(new Uint8Array(32));
  expect(await rejection(hs)).toBeInstanceOf(errors.JOSEAlgNotAllowed);
  expect(await rejection("not-a-jwt")).toBeInstanceOf(errors.JWSInvalid);
  for (const token of [hs, "not-a-jwt", "a.b.c"]) expect(await rejection(token)).toBeInstanceOf(errors.JOSEError);
});

test("faults that are not the token's stay OidcError: JWKS unreachable (ERR_AUTH_UNAVAILABLE), misconfiguration (ERR_AUTH_MISCONFIGURED)", async () => {
  const gone = await TestIssuer.start({ audience: "my-app" });
  const token = await gone.mint();
  await gone.close();
  const unreachable = await rejection(token, { authServiceUrl: gone.url, appSlug: "my-app" });
  expect(unreachable).toBeInstanceOf(OidcError);
  expect(unreachable).not.toBeInstanceOf(errors.JOSEError);
  expect(unreachable).toMatchObject({ code: ERR_AUTH_UNAVAILABLE, statusCode: 503 });
  expect(await rejection(await issuer.mint(), { authServiceUrl: issuer.url, appSlug: "" })).toMatchObject({ code: ERR_AUTH_MISCONFIGURED, statusCode: 500 });
});
