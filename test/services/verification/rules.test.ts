/** The named rules one by one: what each refuses, its cause, and the expected and received values it reports. */
import { describe, expect, test } from "@jest/globals";
import { errors, type JWTPayload } from "jose";
import { resolveOidcConfig, type OidcConfig } from "../../../src/config.js";
import { CLAIM_RULES, HEADER_RULES, RULE_NAMES, SHAPE_RULE, SIZE_RULE, type ClaimsUnderTest, type TokenHeader } from "../../../src/services/verification/rules.js";

const NOW_MS = 1_800_000_000_000;
const NOW = NOW_MS / 1000;
const config = (extra: Partial<OidcConfig> = {}) => resolveOidcConfig({ authServiceUrl: "https://auth.example.com", appSlug: "my-app", ...extra });
const claims = (payload: JWTPayload, header: Partial<TokenHeader> = {}): ClaimsUnderTest => ({
  header: { alg: "ES256", kid: "k", ...header },
  payload: { iss: "https://auth.example.com", aud: "my-app", sub: "u", exp: NOW + 60, ...payload },
  nowMs: NOW_MS,
});
const claimRule = (name: string) => {
  const rule = CLAIM_RULES.find((r) => r.name === name);
  if (!rule) throw new Error(`no rule ${name}`);
  return rule;
};
const headerRule = (name: string) => {
  const rule = HEADER_RULES.find((r) => r.name === name);
  if (!rule) throw new Error(`no rule ${name}`);
  return rule;
};

test("rule names are unique and listed in the verifier's order", () => {
  expect(new Set(RULE_NAMES).size).toBe(RULE_NAMES.length);
  expect(RULE_NAMES.slice(0, 3)).toEqual(["size", "compact-jws", "header"]);
  expect(RULE_NAMES.indexOf("signature")).toBeLessThan(RULE_NAMES.indexOf("issuer"));
});

describe("refusals caused by the server's settings carry the variable, the expected and the received value", () => {
  test.each([
    ["issuer", claims({ iss: "http://localhost:3000" }), config(), "AUTH_SERVICE_ISSUER", "https://auth.example.com", "http://localhost:3000"],
    ["audience", claims({ aud: ["web", "api"] }), config(), "AUTH_SERVICE_AUDIENCE", "my-app", ["web", "api"]],
    ["token-type", claims({}, { typ: "JWT" }), config({ tokenTypes: ["at+jwt"] }), "AUTH_SERVICE_TOKEN_TYPES", ["at+jwt"], "JWT"],
    ["authorized-party", claims({ client_id: "mobile" }), config({ authorizedParties: ["web"] }), "AUTH_SERVICE_AUTHORIZED_PARTIES", ["web"], "mobile"],
  ] as const)("%s", (name, subject, cfg, setting, expected, received) => {
    expect(claimRule(name).check(subject, cfg)).toEqual(expect.objectContaining({ rule: name, kind: "settings", setting, expected, received }));
  });

  test("an algorithm the list leaves out is the settings' fault; none and HS256 never are", () => {
    const cfg = config({ algorithms: ["RS256"] });
    expect(headerRule("algorithm").check({ alg: "ES256" }, cfg)).toEqual(expect.objectContaining({ kind: "settings", setting: "AUTH_SERVICE_ALGORITHMS", expected: ["RS256"], received: "ES256" }));
    expect(headerRule("algorithm").check({ alg: "none" }, cfg)?.kind).toBe("token");
    expect(headerRule("algorithm").check({ alg: "HS256" }, cfg)?.kind).toBe("token");
  });
});

describe("expiry", () => {
  test("past exp (beyond the tolerance) is cause expired, with jose's reason", () => {
    expect(claimRule("expiry").check(claims({ exp: NOW - 6 }), config())).toEqual({
      rule: "expiry",
      kind: "expired",
      reason: 'ERR_JWT_EXPIRED: "exp" claim timestamp check failed',
      received: NOW - 6,
      jose: expect.any(errors.JWTExpired),
    });
    expect(claimRule("expiry").check(claims({ exp: NOW - 4 }), config())).toBeUndefined();
  });

  test("past the maximum age is cause expired too", () => {
    const failure = claimRule("max-token-age").check(claims({ iat: NOW - 120 }), config({ maxTokenAgeSeconds: 60 }));
    expect(failure).toEqual(expect.objectContaining({ kind: "expired", setting: "AUTH_SERVICE_MAX_TOKEN_AGE", expected: 60 }));
  });

  test("missing or non-numeric exp is the token's fault", () => {
    expect(claimRule("expiry").check({ ...claims({}), payload: { sub: "u" } }, config())?.kind).toBe("token");
    expect(claimRule("expiry").check(claims({ exp: "soon" as unknown as number }), config())?.reason).toContain('"exp" claim must be a number');
  });
});

test("token rules: size and shape", () => {
  expect(SIZE_RULE.check("x".repeat(8193), config())).toEqual(expect.objectContaining({ kind: "token", expected: 8192, received: 8193 }));
  expect(SHAPE_RULE.check("a.b.c.d.e", config())?.reason).toContain("JWE");
  expect(SHAPE_RULE.check("a.b.c", config())).toBeUndefined();
});

test("a BetterAuth session token sent as the bearer token is named so in the log reason", () => {
  const session = "Ab3dEfGhIjKlMnOpQrStUvWxYz012345";
  expect(SHAPE_RULE.check(session, config())?.reason).toBe(
    "not a compact JWS (three base64url parts); it looks like a BetterAuth session token: the JWT comes from GET /api/auth/token",
  );
  expect(SHAPE_RULE.check(`${session}.${"A".repeat(42)}%2B%3D`, config())?.reason).toContain("BetterAuth session token");
  expect(SHAPE_RULE.check("not-a-jwt", config())?.reason).toBe("not a compact JWS (three base64url parts)");
});
