import { afterAll, beforeAll, beforeEach, describe, expect, test } from "@jest/globals";
import { createOidcContainer } from "../../../src/container.js";
import { ERR_AUTH_TOKEN_INVALID, ERR_AUTH_UNAVAILABLE } from "../../../src/errors.js";
import { verifyOidcToken } from "../../../src/verifyOidcToken.js";
import type { TokenVerifier } from "../../../src/services/verification/JwksVerifier.js";
import { TestIssuer } from "../../../src/testing/TestIssuer.js";
import { TOKENS } from "../../../src/tokens.js";
import { captureLogger, manualClock, type ManualClock } from "../../fixtures/doubles.js";
import { MetadataServer } from "../../fixtures/metadataServer.js";
import { TrapServer } from "../../security/harness.js";
import { refusal } from "../../fixtures/refusal.js";

const SHARED_KID = "shared-kid";
let primary: TestIssuer;
let partner: TestIssuer;
let discovered: TestIssuer;
let host: MetadataServer;
let trap: TrapServer;

beforeAll(async () => {
  primary = await TestIssuer.start({ alg: "ES256", audience: "notes" });
  partner = await TestIssuer.start({ alg: "ES256", audience: "partner-api" });
  // Both publish a key under the same kid: each must only ever verify its own issuer's tokens.
  await primary.addKey("ES256", SHARED_KID);
  await partner.addKey("ES256", SHARED_KID);
  host = await MetadataServer.start("/tenant");
  discovered = await TestIssuer.start({ alg: "RS256", audience: "notes", issuer: host.issuer });
  trap = await TrapServer.start("{}");
});
afterAll(async () => {
  for (const issuer of [primary, partner, discovered]) await issuer.close();
  await host.close();
  await trap.close();
});
beforeEach(() => {
  host.requests.clear();
  host.serve(discovered.jwksUri);
});

const fetches = (): number[] => [primary.jwksRequests, partner.jwksRequests, discovered.jwksRequests, host.discoveryRequests, trap.hits];

function issuersEnv(): Record<string, string> {
  return {
    AUTH_SERVICE_ISSUERS: JSON.stringify([
      { issuer: partner.issuer, jwksUri: partner.jwksUri, audience: "partner-api", tokenTypes: ["at+jwt"] },
      { issuer: host.issuer, discovery: true },
    ]),
  };
}

function setup(env: Record<string, string> = issuersEnv()): { verifier: TokenVerifier; clock: ManualClock; now: number } {
  const clock = manualClock(Math.floor(Date.now() / 1000) * 1000);
  const container = createOidcContainer();
  container.register(TOKENS.Environment, { useValue: primary.env(env) });
  container.register(TOKENS.Clock, { useValue: clock });
  container.register(TOKENS.Logger, { useValue: captureLogger().logger });
  return { verifier: container.resolve(TOKENS.JwksVerifier), clock, now: clock.now() / 1000 };
}


describe("several trusted issuers", () => {
  test("each issuer's tokens verify with its own keys and rules", async () => {
    const { verifier, now } = setup();
    await expect(verifier.verify(await primary.mint({ sub: "ann" }, { now }))).resolves.toMatchObject({ iss: primary.issuer, sub: "ann" });
    await expect(verifier.verify(await partner.mint({ sub: "bob" }, { now, header: { typ: "at+jwt" } }))).resolves.toMatchObject({ iss: partner.issuer });
    await expect(verifier.verify(await discovered.mint({ sub: "cy" }, { now }))).resolves.toMatchObject({ iss: host.issuer });
  });

  test("an entry's audience and token types apply to its tokens only", async () => {
    const { verifier, now } = setup();
    // The partner's rules: aud partner-api, typ at+jwt.
    expect((await refusal(verifier.verify(await partner.mint({ aud: "notes" }, { now, header: { typ: "at+jwt" } })))).reason).toMatch(/aud/);
    expect((await refusal(verifier.verify(await partner.mint({}, { now })))).reason).toMatch(/typ/);
    // The primary's: no typ required.
    await expect(verifier.verify(await primary.mint({}, { now }))).resolves.toMatchObject({ iss: primary.issuer });
  });

  test.each([
    ["an unlisted issuer", { iss: "https://evil.example" }],
    ["an issuer differing by a trailing slash", { iss: "TRAILING" }],
    ["an issuer URL that points at the trap", { iss: "TRAP" }],
    ["a non-string iss", { iss: ["ISS"] }],
    ["no iss", { iss: undefined }],
  ])("%s is refused before any fetch", async (_name, claims) => {
    const { verifier, now } = setup();
    const iss = claims.iss === "TRAILING" ? `${partner.issuer}/` : claims.iss === "TRAP" ? trap.url : Array.isArray(claims.iss) ? [partner.issuer] : claims.iss;
    const before = fetches();
    const error = await refusal(verifier.verify(await partner.mint({ iss }, { now, header: { typ: "at+jwt" } })));
    expect(error.code).toBe(ERR_AUTH_TOKEN_INVALID);
    expect(error.reason).toMatch(/"iss"/);
    expect(fetches()).toEqual(before);
  });

  test("a token naming one listed issuer but signed by another's key is refused, even under an equal kid", async () => {
    const { verifier, now } = setup();
    // Signed by the primary's key with kid SHARED_KID, claiming to be the partner.
    const forged = await primary.mint({ iss: partner.issuer, aud: "partner-api" }, { now, kid: SHARED_KID, header: { typ: "at+jwt" } });
    const error = await refusal(verifier.verify(forged));
    expect(error.reason).toMatch(/signature verification failed/);
    // And the partner's own token under that kid is accepted: the key sets are apart.
    await expect(verifier.verify(await partner.mint({}, { now, kid: SHARED_KID, header: { typ: "at+jwt" } }))).resolves.toMatchObject({ iss: partner.issuer });
  });

  test("one issuer alone: a token naming another iss is refused before the JWKS is fetched", async () => {
    const { verifier, now } = setup({});
    const before = primary.jwksRequests;
    expect((await refusal(verifier.verify(await primary.mint({ iss: partner.issuer }, { now })))).reason).toMatch(/unexpected "iss"/);
    expect((await refusal(verifier.verify(await primary.mint({}, { now, omit: ["iss"] })))).reason).toMatch(/"iss"/);
    expect(primary.jwksRequests).toBe(before);
  });

  test("programmatic issuers (verifyOidcToken) work like AUTH_SERVICE_ISSUERS", async () => {
    const container = createOidcContainer();
    container.register(TOKENS.Logger, { useValue: captureLogger().logger });
    const config = {
      authServiceUrl: primary.url,
      appSlug: "notes",
      jwksUri: primary.jwksUri,
      issuers: [{ issuer: partner.issuer, jwksUri: partner.jwksUri, audience: "partner-api" }],
    };
    await expect(verifyOidcToken(await partner.mint({ sub: "bob" }), config, container)).resolves.toMatchObject({ sub: "bob", iss: partner.issuer });
  });
});

describe("an issuer whose JWKS URI is discovered", () => {
  test("is discovered on first use, then served from memory", async () => {
    const { verifier, now } = setup();
    const token = await discovered.mint({}, { now });
    await verifier.verify(token);
    await verifier.verify(await discovered.mint({ sub: "again" }, { now }));
    expect(host.discoveryRequests).toBe(1);
  });

  test("while discovery fails: 503 ERR_AUTH_UNAVAILABLE, nothing cached, retried after the backoff", async () => {
    const { verifier, clock, now } = setup();
    host.set(host.openIdPath, { kind: "document", document: host.documentFor(discovered.jwksUri, { issuer: "https://evil.example" }) });
    const token = await discovered.mint({}, { now });
    const error = await refusal(verifier.verify(token));
    expect(error.code).toBe(ERR_AUTH_UNAVAILABLE);
    expect(error.retryAfter).toBe(1);
    host.serve(discovered.jwksUri);
    // Within the backoff: still refused, without a request.
    expect((await refusal(verifier.verify(token))).code).toBe(ERR_AUTH_UNAVAILABLE);
    expect(host.discoveryRequests).toBe(1);
    clock.advance(1000);
    await expect(verifier.verify(token)).resolves.toMatchObject({ iss: host.issuer });
    // The other issuers never waited on it.
    await expect(verifier.verify(await primary.mint({}, { now }))).resolves.toMatchObject({ iss: primary.issuer });
  });

  test("an explicit JWKS URI wins over discovery", async () => {
    const { verifier, now } = setup({
      AUTH_SERVICE_ISSUERS: JSON.stringify([{ issuer: host.issuer, discovery: true, jwksUri: discovered.jwksUri }]),
    });
    await verifier.verify(await discovered.mint({}, { now }));
    expect(host.discoveryRequests).toBe(0);
  });

  test("AUTH_SERVICE_DISCOVERY=true discovers the primary issuer's JWKS URI", async () => {
    const clock = manualClock(Math.floor(Date.now() / 1000) * 1000);
    const container = createOidcContainer();
    container.register(TOKENS.Environment, {
      useValue: { AUTH_SERVICE_URL: host.issuer, AUTH_SERVICE_APP_SLUG: "notes", AUTH_SERVICE_DISCOVERY: "true" },
    });
    container.register(TOKENS.Clock, { useValue: clock });
    container.register(TOKENS.Logger, { useValue: captureLogger().logger });
    const verifier = container.resolve(TOKENS.JwksVerifier);
    await verifier.ready?.();
    expect(host.discoveryRequests).toBe(1);
    await expect(verifier.verify(await discovered.mint({}, { now: clock.now() / 1000 }))).resolves.toMatchObject({ iss: host.issuer });
  });
});

test("TestIssuer serves its own discovery document: AUTH_SERVICE_DISCOVERY=true with the JWKS URI left unset", async () => {
  const issuer = await TestIssuer.start({ alg: "ES256", audience: "notes" });
  try {
    const clock = manualClock(Math.floor(Date.now() / 1000) * 1000);
    const container = createOidcContainer();
    container.register(TOKENS.Environment, { useValue: issuer.env({ AUTH_SERVICE_DISCOVERY: "true", AUTH_SERVICE_JWKS_URI: "" }) });
    container.register(TOKENS.Clock, { useValue: clock });
    container.register(TOKENS.Logger, { useValue: captureLogger().logger });
    const verifier = container.resolve(TOKENS.JwksVerifier);
    await expect(verifier.verify(await issuer.mint({}, { now: clock.now() / 1000 }))).resolves.toMatchObject({ iss: issuer.issuer });
    expect([issuer.discoveryRequests, issuer.jwksRequests]).toEqual([1, 1]);
  } finally {
    await issuer.close();
  }
});
