import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { SignJWT } from "jose";
import { createOidcContainer } from "../../../src/container.js";
import { ERR_AUTH_MISCONFIGURED, ERR_AUTH_TOKEN_INVALID } from "../../../src/errors.js";
import type { TokenVerifier } from "../../../src/services/verification/JwksVerifier.js";
import { TestIssuer } from "../../../src/testing/TestIssuer.js";
import { TOKENS } from "../../../src/tokens.js";
import { captureLogger, manualClock, type ManualClock } from "../../fixtures/doubles.js";
import { refusal } from "../../fixtures/refusal.js";

let issuer: TestIssuer;
const kids: Record<"RS256" | "ES256" | "EdDSA", string> = { RS256: "", ES256: "", EdDSA: "" };

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "RS256", audience: "my-app" });
  kids.RS256 = issuer.kids[0] as string;
  kids.ES256 = await issuer.addKey("ES256");
  kids.EdDSA = await issuer.addKey("EdDSA");
});
afterAll(() => issuer.close());

/** A verifier from a fresh container trusting `issuer`, on a clock the test controls. */
function setup(extraEnv: Record<string, string> = {}): { verifier: TokenVerifier; clock: ManualClock; nowSeconds: number } {
  const clock = manualClock(Math.floor(Date.now() / 1000) * 1000);
  const container = createOidcContainer();
  container.register(TOKENS.Environment, { useValue: issuer.env(extraEnv) });
  container.register(TOKENS.Clock, { useValue: clock });
  container.register(TOKENS.Logger, { useValue: captureLogger().logger });
  return { verifier: container.resolve(TOKENS.JwksVerifier), clock, nowSeconds: clock.now() / 1000 };
}


async function expectInvalid(promise: Promise<unknown>, reason?: RegExp): Promise<void> {
  const error = await refusal(promise);
  expect(error.code).toBe(ERR_AUTH_TOKEN_INVALID);
  expect(error.statusCode).toBe(401);
  if (reason) expect(error.reason).toMatch(reason);
}

describe("accepted algorithms", () => {
  test.each(["RS256", "ES256", "EdDSA"] as const)("%s", async (alg) => {
    const { verifier, nowSeconds } = setup();
    const token = await issuer.mint({ sub: `user-${alg}`, roles: ["admin"] }, { kid: kids[alg], now: nowSeconds });
    const claims = await verifier.verify(token);
    expect(claims.sub).toBe(`user-${alg}`);
    expect(claims.iss).toBe(issuer.issuer);
    expect(claims.roles).toEqual(["admin"]);
  });

  test("one container fetches the JWKS once for any number of verifications", async () => {
    const { verifier, nowSeconds } = setup();
    const before = issuer.jwksRequests;
    for (const alg of ["RS256", "ES256", "EdDSA", "RS256"] as const) {
      await verifier.verify(await issuer.mint({}, { kid: kids[alg], now: nowSeconds }));
    }
    expect(issuer.jwksRequests - before).toBe(1);
  });
});

describe("audience", () => {
  test("an aud array containing the app slug is accepted", async () => {
    const { verifier, nowSeconds } = setup();
    const claims = await verifier.verify(await issuer.mint({ aud: ["other-app", "my-app"] }, { now: nowSeconds }));
    expect(claims.aud).toEqual(["other-app", "my-app"]);
  });

  test("an aud array without the app slug is refused", async () => {
    const { verifier, nowSeconds } = setup();
    await expectInvalid(verifier.verify(await issuer.mint({ aud: ["other-app", "my-app-2"] }, { now: nowSeconds })), /aud/);
  });

  test("a wrong aud is refused", async () => {
    const { verifier, nowSeconds } = setup();
    await expectInvalid(verifier.verify(await issuer.mint({ aud: "other-app" }, { now: nowSeconds })), /aud/);
  });

  test("a missing aud is refused", async () => {
    const { verifier, nowSeconds } = setup();
    await expectInvalid(verifier.verify(await issuer.mint({}, { now: nowSeconds, omit: ["aud"] })), /aud/);
  });

  test("AUTH_SERVICE_AUDIENCE replaces the app slug as the expected aud", async () => {
    const { verifier, nowSeconds } = setup({ AUTH_SERVICE_AUDIENCE: "https://api.example.com" });
    await expect(verifier.verify(await issuer.mint({ aud: "https://api.example.com" }, { now: nowSeconds }))).resolves.toMatchObject({ sub: "user-1" });
    await expectInvalid(verifier.verify(await issuer.mint({ aud: "my-app" }, { now: nowSeconds })), /aud/);
  });
});

describe("refused claims", () => {
  test("a wrong iss", async () => {
    const { verifier, nowSeconds } = setup();
    await expectInvalid(verifier.verify(await issuer.mint({ iss: "https://evil.example.com" }, { now: nowSeconds })), /iss/);
  });

  test("an iss differing only by a trailing slash (compared exactly)", async () => {
    const { verifier, nowSeconds } = setup();
    await expectInvalid(verifier.verify(await issuer.mint({ iss: `${issuer.issuer}/` }, { now: nowSeconds })), /iss/);
  });

  test("a missing iss", async () => {
    const { verifier, nowSeconds } = setup();
    await expectInvalid(verifier.verify(await issuer.mint({}, { now: nowSeconds, omit: ["iss"] })), /iss/);
  });

  test("an expired token, judged by the injected clock", async () => {
    const { verifier, clock, nowSeconds } = setup();
    const token = await issuer.mint({}, { now: nowSeconds, expiresIn: 60 });
    await expect(verifier.verify(token)).resolves.toBeDefined();
    clock.advance(66_000); // past exp + the default 5 s tolerance
    await expectInvalid(verifier.verify(token), /ERR_JWT_EXPIRED/);
  });

  test("a token expired by less than the clock tolerance is still accepted", async () => {
    const { verifier, clock, nowSeconds } = setup();
    const token = await issuer.mint({}, { now: nowSeconds, expiresIn: 60 });
    clock.advance(63_000);
    await expect(verifier.verify(token)).resolves.toBeDefined();
  });

  test("a missing exp", async () => {
    const { verifier, nowSeconds } = setup();
    await expectInvalid(verifier.verify(await issuer.mint({}, { now: nowSeconds, omit: ["exp"] })), /exp/);
  });

  test("a missing sub", async () => {
    const { verifier, nowSeconds } = setup();
    await expectInvalid(verifier.verify(await issuer.mint({}, { now: nowSeconds, omit: ["sub"] })), /sub/);
  });

  test.each([["empty", ""], ["numeric", 42]])("a %s sub", async (_kind, sub) => {
    const { verifier, nowSeconds } = setup();
    await expectInvalid(verifier.verify(await issuer.mint({ sub }, { now: nowSeconds })), /sub/);
  });

  test("a token not yet valid (nbf in the future)", async () => {
    const { verifier, nowSeconds } = setup();
    await expectInvalid(verifier.verify(await issuer.mint({ nbf: nowSeconds + 120 }, { now: nowSeconds })), /nbf/);
  });

  test("a token issued in the future (iat)", async () => {
    const { verifier, nowSeconds } = setup();
    await expectInvalid(verifier.verify(await issuer.mint({ iat: nowSeconds + 120 }, { now: nowSeconds })), /iat/);
  });
});

describe("refused signatures and shapes", () => {
  test("a token signed by an unpublished key (forged)", async () => {
    const { verifier, nowSeconds } = setup();
    const forged = await TestIssuer.forge({ iss: issuer.issuer, aud: "my-app", sub: "admin", exp: nowSeconds + 300 });
    await expectInvalid(verifier.verify(forged));
  });

  test("a forged token naming a published kid: the signature does not match", async () => {
    const { verifier, nowSeconds } = setup();
    const forged = await TestIssuer.forge({ iss: issuer.issuer, aud: "my-app", sub: "admin", exp: nowSeconds + 300 }, "RS256", { kid: kids.RS256 });
    await expectInvalid(verifier.verify(forged), /signature/);
  });

  test("a genuine token whose payload was altered", async () => {
    const { verifier, nowSeconds } = setup();
    const [header, , signature] = (await issuer.mint({ roles: ["user"] }, { now: nowSeconds })).split(".");
    const payload = Buffer.from(JSON.stringify({ iss: issuer.issuer, aud: "my-app", sub: "user-1", exp: nowSeconds + 300, roles: ["admin"] })).toString("base64url");
    await expectInvalid(verifier.verify(`${header}.${payload}.${signature}`), /signature/);
  });

  test("an HMAC (HS256) token, whatever its secret", async () => {
    const { verifier, nowSeconds } = setup();
    const token = await new SignJWT({ iss: issuer.issuer, aud: "my-app", sub: "user-1", exp: nowSeconds + 300 })
      .setProtectedHeader({ alg: "HS256", kid: kids.RS256 })
      .sign(new TextEncoder().encode("a-secret-the-attacker-chose-0123456789"));
    await expectInvalid(verifier.verify(token), /alg/i);
  });

  test('an unsigned token (alg "none")', async () => {
    const { verifier, nowSeconds } = setup();
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const payload = part({ iss: issuer.issuer, aud: "my-app", sub: "user-1", exp: nowSeconds + 300 });
    await expectInvalid(verifier.verify(`${part({ alg: "none" })}.${payload}.`));
    await expectInvalid(verifier.verify(`${part({ alg: "none" })}.${payload}.c2ln`), /alg/i);
  });

  test.each([["garbage", "not-a-jwt"], ["two parts", "a.b"], ["a JWE (five parts)", "a.b.c.d.e"], ["bad characters", "a.b=.c"]])("%s", async (_kind, token) => {
    const { verifier } = setup();
    await expectInvalid(verifier.verify(token), /compact JWS/);
  });

  test("a token longer than AUTH_SERVICE_MAX_TOKEN_BYTES is refused before any crypto", async () => {
    const { verifier, nowSeconds } = setup({ AUTH_SERVICE_MAX_TOKEN_BYTES: "256" });
    const before = issuer.jwksRequests;
    await expectInvalid(verifier.verify(await issuer.mint({ padding: "x".repeat(300) }, { now: nowSeconds })), /longer than 256/);
    expect(issuer.jwksRequests).toBe(before);
  });
});

test("an invalid configuration makes verify reject with ERR_AUTH_MISCONFIGURED, not a token error", async () => {
  const container = createOidcContainer();
  container.register(TOKENS.Environment, { useValue: { AUTH_SERVICE_URL: issuer.url } });
  const error = await refusal(container.resolve(TOKENS.JwksVerifier).verify(await issuer.mint()));
  expect(error.code).toBe(ERR_AUTH_MISCONFIGURED);
  expect(error.message).toContain("AUTH_SERVICE_APP_SLUG");
});
