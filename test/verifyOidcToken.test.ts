import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { errors } from "jose";
import { createOidcContainer, scopeFor } from "../src/container.js";
import { ERR_AUTH_MISCONFIGURED, ERR_AUTH_UNAVAILABLE, OidcError } from "../src/errors.js";
import { TestIssuer } from "../src/testing/TestIssuer.js";
import { TOKENS } from "../src/tokens.js";
import { verifyOidcToken } from "../src/verifyOidcToken.js";
import { revoke } from "../src/revoke.js";
import { captureLogger } from "./fixtures/doubles.js";

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "EdDSA", audience: "worker-app" });
});
afterAll(() => issuer.close());

const isolated = () => {
  const container = createOidcContainer();
  container.register(TOKENS.Environment, { useValue: issuer.env() });
  container.register(TOKENS.Logger, { useValue: captureLogger().logger });
  return container;
};

test("returns the context of a valid token; without provisioning userId is sub and the role comes from the token", async () => {
  const token = await issuer.mint({ sub: "job-7", roles: ["worker"], permissions: ["queue:read", 1], features: { fast: true } });
  await expect(verifyOidcToken(token, { authServiceUrl: issuer.url, appSlug: "worker-app" }, isolated())).resolves.toEqual({
    sub: "job-7",
    iss: issuer.issuer,
    userId: "job-7",
    userRole: "worker",
    roles: ["worker"],
    permissions: ["queue:read"],
    scopes: [],
    features: { fast: true },
    email: null,
    name: null,
  });
});

test("applies the same rules as the middlewares: a token for another audience is refused", async () => {
  const token = await issuer.mint({ aud: "other-app" });
  const error = await verifyOidcToken(token, { authServiceUrl: issuer.url, appSlug: "worker-app" }, isolated()).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(errors.JWTClaimValidationFailed);
  expect(error).toMatchObject({ claim: "aud", reason: "check_failed" });
});

test("a token fault rejects with the jose error the verifier recorded as the refusal's cause, not an OidcError", async () => {
  const container = isolated();
  const token = await issuer.mint({}, { expiresIn: -60 });
  const fromPipeline = await scopeFor(container, {}).resolve(TOKENS.AuthPipeline).authenticateRequest(() => token, "http").catch((e: unknown) => e);
  const fromFunction = await verifyOidcToken(token, { authServiceUrl: issuer.url, appSlug: "worker-app" }, container).catch((e: unknown) => e);
  expect(fromFunction).toBeInstanceOf(errors.JWTExpired);
  expect(fromFunction).not.toBeInstanceOf(OidcError);
  expect((fromPipeline as OidcError).cause).toBeInstanceOf(errors.JWTExpired);
});

test("faults that are not the token's stay OidcErrors: an unreachable JWKS is ERR_AUTH_UNAVAILABLE", async () => {
  const down = await TestIssuer.start({ alg: "EdDSA", audience: "worker-app" });
  const token = await down.mint();
  await down.close();
  await expect(verifyOidcToken(token, { authServiceUrl: down.url, appSlug: "worker-app" }, isolated())).rejects.toMatchObject({ name: "OidcError", code: ERR_AUTH_UNAVAILABLE });
});

test("honours the programmatic audience override", async () => {
  const token = await issuer.mint({ aud: "https://api.example.com" });
  const ctx = await verifyOidcToken(token, { authServiceUrl: issuer.url, appSlug: "worker-app", audience: "https://api.example.com" }, isolated());
  expect(ctx.sub).toBe("user-1");
});

test("rejects an invalid config with ERR_AUTH_MISCONFIGURED naming the field", async () => {
  await expect(verifyOidcToken("a.b.c", { authServiceUrl: "", appSlug: "x" }, isolated())).rejects.toMatchObject({
    code: ERR_AUTH_MISCONFIGURED,
    message: expect.stringContaining("authServiceUrl"),
  });
});

test("shares the container's key set with the middlewares: one JWKS fetch for both", async () => {
  const container = isolated();
  const before = issuer.jwksRequests;
  const token = await issuer.mint();
  await scopeFor(container, {}).resolve(TOKENS.AuthPipeline).authenticateRequest(() => token, "http");
  await verifyOidcToken(await issuer.mint(), { authServiceUrl: issuer.url, appSlug: "worker-app" }, container);
  expect(issuer.jwksRequests - before).toBe(1);
});

test("honours the container's revocations: a revoked token rejects with OidcError ERR_AUTH_TOKEN_INVALID, saying so", async () => {
  const container = isolated();
  const token = await issuer.mint({ sub: "job-8", sid: "worker-session" });
  const config = { authServiceUrl: issuer.url, appSlug: "worker-app" };
  await expect(verifyOidcToken(token, config, container)).resolves.toMatchObject({ sub: "job-8" });
  await revoke({ sid: "worker-session" }, { container });
  const error = await verifyOidcToken(token, config, container).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(OidcError);
  expect(error).toMatchObject({ code: "ERR_AUTH_TOKEN_INVALID", message: "The access token has been revoked" });
});
