import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import {
  ERR_AUTH_MISCONFIGURED,
  ERR_AUTH_TOKEN_INVALID,
  ERR_AUTH_TOKEN_REQUIRED,
  ERR_AUTH_UNAVAILABLE,
  ERR_FORBIDDEN,
  ERR_USER_DISABLED,
  ERR_USER_PROVISION_FAILED,
  OIDC_CHANNELS,
  OidcError,
  REFUSAL_KINDS,
  revoke,
  TOKENS,
  type OidcErrorCode,
} from "../../src/index.js";
import { refusalKind } from "../../src/services/diagnostics.js";
import { createTestContainer, InMemoryUserProvisioner, TestIssuer } from "../../src/testing/index.js";

// The channels seen by a subscriber of a real pipeline, verifier and key set
// (a TestIssuer serving its JWKS on 127.0.0.1): what each outcome publishes.

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256" });
});
afterAll(async () => {
  await issuer.close();
});

/** Every message on every channel, as `[channel key, message]`, until `stop()`. */
function record() {
  const seen: [string, Record<string, unknown>][] = [];
  const listeners = Object.entries(OIDC_CHANNELS).map(([key, name]) => {
    const listener = (message: unknown) => void seen.push([key, message as Record<string, unknown>]);
    subscribe(name, listener);
    return [name, listener] as const;
  });
  return { seen, of: (key: keyof typeof OIDC_CHANNELS) => seen.filter(([k]) => k === key).map(([, m]) => m), stop: () => listeners.forEach(([name, listener]) => unsubscribe(name, listener)) };
}

let recorder: ReturnType<typeof record> | undefined;
afterEach(() => recorder?.stop());

function pipeline(users = new InMemoryUserProvisioner()) {
  return pipelineIn(createTestContainer({ env: issuer.env(), users }).container);
}
const pipelineIn = (container: ReturnType<typeof createTestContainer>["container"]) => container.resolve(TOKENS.AuthPipeline);

describe("published on the channels", () => {
  test("a first verification: one JWKS fetch, a cache miss, then authenticated with cached: false; the same token again: a hit, cached: true", async () => {
    recorder = record();
    const auth = pipeline();
    const token = await issuer.mint({ sub: "alice" });
    await auth.authenticateRequest(() => token, "http");
    await auth.authenticateRequest(() => token, "socket");

    const [fetch, ...more] = recorder.of("jwksFetch");
    expect(more).toEqual([]);
    expect(fetch).toEqual({ uri: issuer.jwksUri, outcome: "success", durationMs: expect.any(Number), keys: 1 });
    expect(fetch?.durationMs).toBeGreaterThanOrEqual(0);
    expect(recorder.of("tokenCache")).toEqual([{ hit: false }, { hit: true }]);
    expect(recorder.of("authenticated")).toEqual([
      { transport: "http", cached: false, iss: issuer.issuer, sub: "alice" },
      { transport: "socket", cached: true, iss: issuer.issuer, sub: "alice" },
    ]);
    expect(recorder.of("refused")).toEqual([]);
  });

  test("refusals carry transport, code, status and kind, and never the token", async () => {
    const users = new InMemoryUserProvisioner([{ sub: "mallory", id: "m", isDisabled: true }]);
    const auth = pipeline(users);
    recorder = record();
    const forged = await TestIssuer.forge({ sub: "eve", iss: issuer.issuer, aud: issuer.audience, exp: Math.floor(Date.now() / 1000) + 60 }, "ES256");
    await auth.authenticateRequest(() => undefined, "http").catch(() => undefined);
    await auth.authenticateRequest(() => forged, "socket").catch(() => undefined);
    const disabled = await issuer.mint({ sub: "mallory" });
    await auth.authenticateRequest(() => disabled, "http").catch(() => undefined);

    expect(recorder.of("refused")).toEqual([
      { transport: "http", code: ERR_AUTH_TOKEN_REQUIRED, statusCode: 401, kind: "missing" },
      { transport: "socket", code: ERR_AUTH_TOKEN_INVALID, statusCode: 401, kind: "signature" },
      { transport: "http", code: ERR_USER_DISABLED, statusCode: 403, kind: "disabled" },
    ]);
    expect(recorder.of("authenticated")).toEqual([]);
    expect(JSON.stringify(recorder.seen)).not.toContain(forged);
    expect(JSON.stringify(recorder.seen)).not.toContain(disabled);
  });

  test("a JWKS that cannot be had: a failed fetch with its reason, and an 'unavailable' refusal", async () => {
    recorder = record();
    issuer.setBehaviour({ kind: "status", status: 500 });
    try {
      const token = await issuer.mint();
      await expect(pipeline().authenticateRequest(() => token, "http")).rejects.toMatchObject({ code: ERR_AUTH_UNAVAILABLE });
    } finally {
      issuer.setBehaviour({ kind: "ok" });
    }
    expect(recorder.of("jwksFetch")).toEqual([{ uri: issuer.jwksUri, outcome: "failure", durationMs: expect.any(Number), reason: "HTTP 500" }]);
    expect(recorder.of("refused")).toEqual([{ transport: "http", code: ERR_AUTH_UNAVAILABLE, statusCode: 503, kind: "unavailable" }]);
  });

  test("a revocation: what it names and the issuer, never the id; the revoked token's refusal is 'revoked'", async () => {
    const { container } = createTestContainer({ env: issuer.env() });
    const token = await issuer.mint({ sub: "bob", sid: "session-42" });
    await pipelineIn(container).authenticateRequest(() => token, "http");
    recorder = record();
    await revoke({ sid: "session-42" }, { container });
    await expect(pipelineIn(container).authenticateRequest(() => token, "socket")).rejects.toMatchObject({ code: ERR_AUTH_TOKEN_INVALID });
    expect(recorder.of("revocation")).toEqual([{ kind: "sid", iss: issuer.issuer }]);
    expect(recorder.of("refused")).toEqual([{ transport: "socket", code: ERR_AUTH_TOKEN_INVALID, statusCode: 401, kind: "revoked" }]);
    expect(JSON.stringify(recorder.seen)).not.toContain("session-42");
  });

  test("after unsubscribing, nothing more reaches the listener", async () => {
    const auth = pipeline();
    const token = await issuer.mint();
    recorder = record();
    recorder.stop();
    await auth.authenticateRequest(() => token, "http");
    await auth.authenticateRequest(() => undefined, "http").catch(() => undefined);
    expect(recorder.seen).toEqual([]);
  });
});

describe("refusal kinds", () => {
  test("a refused token's kind says what was wrong with it", async () => {
    const auth = pipeline();
    const now = Math.floor(Date.now() / 1000);
    const tokens: [string, string | (() => never)][] = [
      ["malformed", "not-a-jwt"],
      ["malformed", "e30.e30.e30.e30.e30"],
      ["malformed", "x".repeat(20_000)],
      ["signature", await TestIssuer.forge({ sub: "eve", iss: issuer.issuer, aud: issuer.audience, exp: now + 60 }, "ES256")],
      ["signature", await TestIssuer.forge({ sub: "eve", iss: issuer.issuer, aud: issuer.audience, exp: now + 60 }, "ES256", { kid: issuer.kids[0] })],
      ["expired", await issuer.mint({}, { now: now - 600, expiresIn: 60 })],
      ["claim", await issuer.mint({ aud: "another-app" })],
      ["claim", await issuer.mint({ iss: "https://elsewhere.example" })],
      // What a transport throws for a credential it cannot read (e.g. two Authorization headers).
      ["invalid", () => { throw new OidcError(ERR_AUTH_TOKEN_INVALID, { reason: "more than one Authorization header" }); }],
    ];
    for (const [kind, token] of tokens) {
      const refusal = (await auth.authenticateRequest(typeof token === "string" ? () => token : token, "http").catch((error: unknown) => error)) as OidcError;
      expect([refusal.code, refusalKind(refusal)]).toEqual([ERR_AUTH_TOKEN_INVALID, kind]);
    }
  });

  test("every other code has one kind, and every kind is listed", () => {
    const codes: OidcErrorCode[] = [ERR_AUTH_TOKEN_REQUIRED, ERR_AUTH_TOKEN_INVALID, ERR_USER_DISABLED, ERR_USER_PROVISION_FAILED, ERR_FORBIDDEN, ERR_AUTH_MISCONFIGURED, ERR_AUTH_UNAVAILABLE];
    expect(codes.map((code) => refusalKind(new OidcError(code)))).toEqual(["missing", "invalid", "disabled", "provision", "forbidden", "misconfigured", "unavailable"]);
    expect([...REFUSAL_KINDS].sort()).toEqual(["claim", "disabled", "expired", "forbidden", "invalid", "malformed", "misconfigured", "missing", "provision", "revoked", "signature", "unavailable"]);
  });
});
