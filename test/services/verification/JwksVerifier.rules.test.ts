import { generateKeyPairSync, sign } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { SignJWT } from "jose";
import { createOidcContainer, ERR_AUTH_TOKEN_INVALID, OidcError, TOKENS } from "../../../src/index.js";
import { createOidcLogger } from "../../../src/services/logger.js";
import { TestIssuer, type TestAlgorithm } from "../../../src/testing/TestIssuer.js";

// Every header and claim rule of the verifier, on its node:crypto signature
// path, with the cache off so that each call is a full verification, against
// a real JWKS served over HTTP.

const ALGORITHMS: TestAlgorithm[] = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];
const kids = new Map<TestAlgorithm, string>();
let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256" });
  for (const alg of ALGORITHMS) kids.set(alg, await issuer.addKey(alg));
});
afterAll(async () => {
  await issuer.close();
});

function verifierWith(env: Record<string, string> = {}) {
  const container = createOidcContainer();
  container.register(TOKENS.Environment, { useValue: issuer.env({ AUTH_SERVICE_TOKEN_CACHE_SIZE: "0", ...env }) });
  container.register(TOKENS.Logger, { useValue: createOidcLogger(undefined, "silent") });
  return container.resolve(TOKENS.JwksVerifier);
}

const mint = (claims: Record<string, unknown> = {}, options: Parameters<TestIssuer["mint"]>[1] = {}) =>
  issuer.mint(claims, { kid: kids.get("ES256"), ...options });

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

async function refusedWith(token: string, env: Record<string, string> = {}): Promise<string> {
  const error = await verifierWith(env)
    .verify(token)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(OidcError);
  expect((error as OidcError).code).toBe(ERR_AUTH_TOKEN_INVALID);
  return (error as OidcError).reason ?? "";
}

describe("JwksVerifier: signatures", () => {
  test.each(ALGORITHMS)("accepts a %s token signed by a published key", async (alg) => {
    const claims = await verifierWith().verify(await mint({ sub: `sub-${alg}` }, { kid: kids.get(alg) }));
    expect(claims.sub).toBe(`sub-${alg}`);
  });

  test("refuses a signature by an unpublished key, even under a published kid", async () => {
    const forged = await TestIssuer.forge({ sub: "mallory", iss: issuer.issuer, aud: issuer.audience, exp: Math.floor(Date.now() / 1000) + 60 }, "ES256", { kid: kids.get("ES256") });
    expect(await refusedWith(forged)).toContain("ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
  });

  test("the key decides the algorithm: an RS256 signature relabelled PS256 or RS384 is refused", async () => {
    const token = await mint({}, { kid: kids.get("RS256") });
    const [, payload, signature] = token.split(".");
    for (const alg of ["PS256", "RS384"]) {
      await refusedWith(`${b64({ alg, kid: kids.get("RS256") })}.${payload}.${signature}`);
    }
  });

  test("refuses alg none, HS256 and algorithms outside AUTH_SERVICE_ALGORITHMS", async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: "mallory", iss: issuer.issuer, aud: issuer.audience, exp: now + 60 };
    expect(await refusedWith(`${b64({ alg: "none" })}.${b64(claims)}.AAAA`)).toContain("ERR_JOSE_ALG_NOT_ALLOWED");
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid: kids.get("RS256") }).sign(new TextEncoder().encode("a-secret-of-32-bytes-or-more-000"));
    expect(await refusedWith(hs)).toContain("ERR_JOSE_ALG_NOT_ALLOWED");
    expect(await refusedWith(await mint({}, { kid: kids.get("RS256") }), { AUTH_SERVICE_ALGORITHMS: "ES256" })).toContain("ERR_JOSE_ALG_NOT_ALLOWED");
  });
});

describe("JwksVerifier: header rules", () => {
  test("refuses critical extensions it does not understand, and b64:false", async () => {
    // jose will not sign these headers: sign with node:crypto under a key the JWKS publishes for this test.
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    issuer.setBehaviour({ kind: "body", body: JSON.stringify({ keys: [{ ...publicKey.export({ format: "jwk" }), kid: "raw", alg: "EdDSA" }] }) });
    const claims = { sub: "mallory", iss: issuer.issuer, aud: issuer.audience, exp: Math.floor(Date.now() / 1000) + 60 };
    const signed = (header: Record<string, unknown>) => {
      const input = `${b64({ alg: "EdDSA", kid: "raw", ...header })}.${b64(claims)}`;
      return `${input}.${sign(null, Buffer.from(input), privateKey).toString("base64url")}`;
    };
    try {
      expect((await verifierWith().verify(signed({}))).sub).toBe("mallory");
      await refusedWith(signed({ crit: ["exp"], exp: 1 }));
      await refusedWith(signed({ crit: ["b64"], b64: false }));
      await refusedWith(signed({ crit: [] }));
    } finally {
      issuer.setBehaviour({ kind: "ok" });
    }
  });

  test("refuses a kid that is not a string", async () => {
    expect(await refusedWith(await mint({}, { header: { kid: 42 as unknown as string } }))).toContain("kid");
  });

  test("refuses a header that is not a JSON object, and non-JWS shapes", async () => {
    const token = await mint();
    const [, payload, signature] = token.split(".");
    expect(await refusedWith(`${Buffer.from("not json").toString("base64url")}.${payload}.${signature}`)).toContain("ERR_JWS_INVALID");
    expect(await refusedWith(`${b64(["RS256"])}.${payload}.${signature}`)).toContain("ERR_JWS_INVALID");
    await refusedWith(`${token}.AAAA.BBBB`);
    await refusedWith(token.replace(/\.[^.]+$/, "."));
  });

  test("refuses nested JWTs (cty JWT) and enforces AUTH_SERVICE_TOKEN_TYPES", async () => {
    expect(await refusedWith(await mint({}, { header: { cty: "JWT" } }))).toContain("nested");
    expect(await refusedWith(await mint(), { AUTH_SERVICE_TOKEN_TYPES: "at+jwt" })).toContain("typ");
    const claims = await verifierWith({ AUTH_SERVICE_TOKEN_TYPES: "at+jwt" }).verify(await mint({}, { header: { typ: "application/at+jwt" } }));
    expect(claims.sub).toBe("user-1");
  });

  test("refuses a token longer than AUTH_SERVICE_MAX_TOKEN_BYTES before any other work", async () => {
    expect(await refusedWith(await mint({ padding: "x".repeat(400) }), { AUTH_SERVICE_MAX_TOKEN_BYTES: "256" })).toContain("longer than 256");
  });
});

describe("JwksVerifier: claim rules", () => {
  const now = () => Math.floor(Date.now() / 1000);

  test("iss must match exactly, and aud must name the app (string or array)", async () => {
    expect(await refusedWith(await mint({ iss: `${issuer.issuer}/` }))).toContain("iss");
    expect(await refusedWith(await mint({ aud: "other-app" }))).toContain("aud");
    expect(await refusedWith(await mint({}, { omit: ["aud"] }))).toContain("aud");
    expect((await verifierWith().verify(await mint({ aud: ["other-app", issuer.audience] }))).sub).toBe("user-1");
  });

  test("exp, sub and iss are required; sub must be a non-empty string", async () => {
    for (const claim of ["exp", "sub", "iss"]) expect(await refusedWith(await mint({}, { omit: [claim] }))).toContain(claim);
    expect(await refusedWith(await mint({ sub: "" }))).toContain("sub");
    expect(await refusedWith(await mint({ sub: 42 }))).toContain("sub");
    expect(await refusedWith(await mint({ exp: "tomorrow" }))).toContain("exp");
  });

  test("exp, nbf and iat are checked with the clock tolerance", async () => {
    const env = { AUTH_SERVICE_CLOCK_TOLERANCE: "5" };
    expect(await refusedWith(await mint({ exp: now() - 6 }), env)).toContain("ERR_JWT_EXPIRED");
    expect((await verifierWith(env).verify(await mint({ exp: now() - 3 }))).sub).toBe("user-1");
    expect(await refusedWith(await mint({ nbf: now() + 60 }), env)).toContain("nbf");
    expect(await refusedWith(await mint({ iat: now() + 60 }), env)).toContain("iat");
  });

  test("AUTH_SERVICE_MAX_TOKEN_AGE refuses tokens issued too long ago", async () => {
    const env = { AUTH_SERVICE_MAX_TOKEN_AGE: "60", AUTH_SERVICE_CLOCK_TOLERANCE: "0" };
    expect(await refusedWith(await mint({ iat: now() - 120 }), env)).toContain("iat");
    expect(await refusedWith(await mint({}, { omit: ["iat"] }), env)).toContain("iat");
    expect((await verifierWith(env).verify(await mint())).sub).toBe("user-1");
  });

  test("AUTH_SERVICE_AUTHORIZED_PARTIES checks azp, else client_id", async () => {
    const env = { AUTH_SERVICE_AUTHORIZED_PARTIES: "web" };
    expect(await refusedWith(await mint({ azp: "cli" }), env)).toContain("azp");
    expect((await verifierWith(env).verify(await mint({ client_id: "web" }))).sub).toBe("user-1");
  });

  test("a payload that is not a JSON object is refused", async () => {
    const token = await mint();
    const [header, , signature] = token.split(".");
    await refusedWith(`${header}.${b64([1, 2])}.${signature}`);
  });
});

describe("JwksVerifier: the longest token lifetime (AUTH_SERVICE_MAX_TOKEN_LIFETIME), which revocations rely on", () => {
  test("exp − iat up to the limit is accepted, beyond it refused", async () => {
    const env = { AUTH_SERVICE_MAX_TOKEN_LIFETIME: "3600" };
    expect((await verifierWith(env).verify(await mint({}, { expiresIn: 3600 }))).sub).toBeDefined();
    expect(await refusedWith(await mint({}, { expiresIn: 3601 }), env)).toContain("lifetime longer than 3600 s");
  });

  test("the default (one day) refuses a token minted for two days", async () => {
    expect(await refusedWith(await mint({}, { expiresIn: 2 * 86_400 }))).toContain("lifetime longer than 86400 s");
  });

  test("without iat, the part of its life still ahead must fit (plus the clock tolerance)", async () => {
    const env = { AUTH_SERVICE_MAX_TOKEN_LIFETIME: "3600" };
    expect((await verifierWith(env).verify(await mint({}, { expiresIn: 3600, omit: ["iat"] }))).sub).toBeDefined();
    expect(await refusedWith(await mint({}, { expiresIn: 3600 + 60, omit: ["iat"] }), env)).toContain("lifetime longer than 3600 s");
  });
});

describe("JwksVerifier: a back-channel logout token is never an access token", () => {
  test.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ["typed logout+jwt", {}, { typ: "logout+jwt" }],
    ["typed application/logout+jwt", {}, { typ: "application/logout+jwt" }],
    ["carrying the back-channel logout event", { events: { "http://schemas.openid.net/event/backchannel-logout": {} } }, {}],
  ])("%s: refused", async (_name, claims, header) => {
    expect(await refusedWith(await mint({ sid: "s-1", jti: "j-1", ...claims }, { header }))).toContain("logout token is not an access token");
  });
});

describe("JwksVerifier: NumericDates as the token's JSON spells them", () => {
  /** A validly signed token whose payload text carries the given number spellings verbatim (JSON.stringify cannot write 1e400). */
  const rawToken = (dates: Record<string, string>) => {
    const members = [`"iss":${JSON.stringify(issuer.issuer)}`, `"aud":${JSON.stringify(issuer.audience)}`, '"sub":"raw"'];
    for (const [claim, spelling] of Object.entries(dates)) members.push(`"${claim}":${spelling}`);
    return issuer.sign(`{${members.join(",")}}`, {}, { kid: kids.get("ES256") });
  };
  const now = () => Math.floor(Date.now() / 1000);

  test.each([
    [{ exp: "1e400" }, /"exp" claim must be a NumericDate/],
    [{ exp: "1E+400" }, /"exp" claim must be a NumericDate/],
    [{ exp: "9007199254740993" }, /"exp" claim must be a NumericDate/],
    [{ exp: "1e300" }, /"exp" claim must be a NumericDate/],
    [{ exp: "-1e400" }, /"exp" claim timestamp check failed/],
    [{ get exp() { return String(now() + 60); }, nbf: "-1e400" }, /"nbf" claim must be a NumericDate/],
    [{ get exp() { return String(now() + 60); }, nbf: "1e400" }, /"nbf" claim timestamp check failed/],
    [{ get exp() { return String(now() + 60); }, iat: "-1e400" }, /"iat" claim must be a NumericDate/],
    [{ get exp() { return String(now() + 60); }, iat: "1e400" }, /"iat" claim must be a NumericDate/],
  ])("%j is refused", async (dates, reason) => {
    expect(await refusedWith(await rawToken(dates))).toMatch(reason);
  });

  test("iat -1e400 under a maximum token age is refused too (jose's age check)", async () => {
    expect(await refusedWith(await rawToken({ exp: String(now() + 60), iat: "-1e400" }), { AUTH_SERVICE_MAX_TOKEN_AGE: "600" })).toMatch(/"iat"/);
  });

  test("exponent forms, fractions and -0 are ordinary numbers: accepted when in time", async () => {
    const exp = now() + 600;
    const claims = await verifierWith().verify(await rawToken({ exp: `${exp / 1e9}e9`, nbf: "-0", iat: `${now() - 1}.25` }));
    expect(claims.exp).toBe(exp);
    expect(Object.is(claims.nbf, -0)).toBe(true);
  });
});

