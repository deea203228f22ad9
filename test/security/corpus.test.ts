/**
 * The bad-input corpus: every rule of the verifier and of credential
 * extraction, each as a named input sent through BOTH transports of a real
 * IOServer that trusts a real loopback JWKS. A refused case must get the
 * exact code, reach no handler, be logged once with that code and the
 * reason of the rule it breaks, and leave no token in the log.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "@jest/globals";
import { CompactEncrypt, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { ERR_AUTH_TOKEN_INVALID, ERR_AUTH_TOKEN_REQUIRED, OIDC_ERROR_STATUS, type OidcErrorCode, type VerifiedClaims } from "../../src/index.js";
import { buildUserContext } from "../../src/services/verification/claims.js";
import { TestIssuer, type MintOptions } from "../../src/testing/TestIssuer.js";
import { calls } from "../fixtures/app.js";
import { httpGet, ManualClock, PINO_LEVEL, rawHttpGet, socketProbe, startProtectedApp, TrapServer, type HttpOutcome, type ProtectedApp, type SocketInput, seconds } from "./harness.js";

/** The strict RFC 9068 profile the corpus server runs with. */
const CLIENT_ID = "web-client";
const STRICT_ENV = {
  AUTH_SERVICE_TOKEN_TYPES: "at+jwt",
  AUTH_SERVICE_AUTHORIZED_PARTIES: CLIENT_ID,
  AUTH_SERVICE_MAX_TOKEN_AGE: "3600",
};
const TOLERANCE = 5;

interface Fixtures {
  issuer: TestIssuer;
  trap: TrapServer;
  clock: ManualClock;
  /** A token the server accepts: the base every token case mutates one thing of. */
  valid: string;
  /** Mints with the strict profile's defaults (typ at+jwt, azp, the manual clock's now). */
  mint(claims?: Record<string, unknown>, options?: MintOptions): Promise<string>;
  /** Signs as the attacker: a key pair the issuer never published. */
  attacker: { key: CryptoKey; jwk: JWK; kid: string };
  /** The issuer's published RSA key, as served in its JWKS. */
  publishedJwk: JWK;
}

type Refusal = { code: OidcErrorCode; reason: RegExp };
/** Node's HTTP parser answers 400 itself: the request never reaches Fastify, a hook or a handler. */
type NodeRejects = { nodeStatus: 400 };
type Accepted = { accepted: (context: Record<string, unknown>) => void };
type Outcome = Refusal | NodeRejects | Accepted;

interface HttpInput {
  headers?: Record<string, string>;
  /** Header lines written raw on a TCP socket (for what fetch cannot send). */
  rawLines?: string[];
  path?: string;
}

interface Inputs {
  http: HttpInput;
  socket: SocketInput;
  /** The token(s) the input carries, which must never show up in the log. */
  secrets: string[];
}

interface Case {
  name: string;
  inputs: (f: Fixtures) => Promise<Inputs>;
  http: Outcome;
  socket: Outcome;
}

const invalid = (reason: RegExp): Refusal => ({ code: ERR_AUTH_TOKEN_INVALID, reason });
const required: Refusal = { code: ERR_AUTH_TOKEN_REQUIRED, reason: /Authentication required/ };

/** A token presented the ordinary way on each transport: `Authorization: Bearer` and `auth.token`. */
function tokenCase(name: string, build: (f: Fixtures) => Promise<string>, outcome: Outcome): Case {
  return {
    name,
    inputs: async (f) => {
      const token = await build(f);
      return { http: { headers: { authorization: `Bearer ${token}` } }, socket: { auth: { token } }, secrets: [token] };
    },
    http: outcome,
    socket: outcome,
  };
}

/** The same Authorization header value on the HTTP request and the Socket.IO upgrade request. */
function headerCase(name: string, header: (f: Fixtures) => string, outcome: Outcome): Case {
  return {
    name,
    inputs: async (f) => {
      const value = header(f);
      return { http: { headers: { authorization: value } }, socket: { headers: { authorization: value } }, secrets: [f.valid] };
    },
    http: outcome,
    socket: outcome,
  };
}

const b64url = (value: string | Uint8Array): string => Buffer.from(value).toString("base64url");
const json64 = (value: unknown): string => b64url(JSON.stringify(value));
const signatureOf = (token: string): string => token.split(".")[2] ?? "";
const strictHeader = { typ: "at+jwt" };

/**
 * A validly signed token of the strict profile whose payload text spells
 * the given dates verbatim: JSON.stringify cannot write `1e400` (Infinity)
 * or `9007199254740993` (past 2^53), a token's JSON can.
 */
function rawDates(f: Fixtures, dates: Record<string, string>): Promise<string> {
  const claims = strictClaims(f);
  for (const claim of Object.keys(dates)) delete claims[claim];
  const text = JSON.stringify(claims).slice(0, -1) + Object.entries(dates).map(([claim, spelling]) => `,"${claim}":${spelling}`).join("") + "}";
  return f.issuer.sign(text, strictHeader);
}

async function attackerSigned(f: Fixtures, claims: Record<string, unknown>, header: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "RS256", ...header }).sign(f.attacker.key);
}
const strictClaims = (f: Fixtures, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  iss: f.issuer.issuer,
  aud: f.issuer.audience,
  sub: "user-1",
  azp: CLIENT_ID,
  iat: seconds(f.clock),
  exp: seconds(f.clock) + 300,
  ...extra,
});

const cases: Case[] = [
  // ── Credential transport (RFC 6750 §2) ──────────────────────────────────
  { name: "no credentials at all", inputs: async (f) => ({ http: {}, socket: {}, secrets: [f.valid] }), http: required, socket: required },
  {
    name: "empty Authorization header / empty auth.token",
    inputs: async (f) => ({ http: { headers: { authorization: "" } }, socket: { auth: { token: "" } }, secrets: [f.valid] }),
    http: required,
    socket: required,
  },
  {
    name: "`Bearer` alone",
    inputs: async (f) => ({ http: { headers: { authorization: "Bearer" } }, socket: { auth: { token: "Bearer" } }, secrets: [f.valid] }),
    http: required,
    socket: required,
  },
  {
    name: "`Bearer` followed by spaces only",
    inputs: async (f) => ({ http: { rawLines: ["Authorization: Bearer    "] }, socket: { auth: { token: "Bearer    " } }, secrets: [f.valid] }),
    http: required,
    socket: required,
  },
  headerCase("another scheme (Basic)", () => `Basic ${b64url("user:password")}`, required),
  headerCase("scheme glued to the token (`Bearer<token>`)", (f) => `Bearer${f.valid}`, required),
  tokenCase("two tokens separated by a space", async (f) => `${f.valid} ${f.valid}`, invalid(/b64token/)),
  headerCase("two bearer credentials in one header (comma-joined)", (f) => `Bearer ${f.valid}, Bearer ${f.valid}`, invalid(/b64token/)),
  {
    name: "duplicated Authorization header",
    inputs: async (f) => {
      const value = `Bearer ${f.valid}`;
      return {
        http: { rawLines: [`Authorization: ${value}`, `Authorization: ${value}`] },
        socket: { headers: { authorization: [value, value] } },
        secrets: [f.valid],
      };
    },
    http: invalid(/more than one Authorization header/),
    socket: invalid(/more than one Authorization header/),
  },
  {
    name: "two Authorization headers with different tokens",
    inputs: async (f) => {
      const other = await f.mint({ sub: "user-2" });
      return {
        http: { rawLines: [`Authorization: Bearer ${f.valid}`, `authorization: Bearer ${other}`] },
        socket: { headers: { authorization: [`Bearer ${f.valid}`, `Bearer ${other}`] } },
        secrets: [f.valid, other],
      };
    },
    http: invalid(/more than one Authorization header/),
    socket: invalid(/more than one Authorization header/),
  },
  {
    name: "tab between scheme and token",
    inputs: async (f) => ({
      http: { headers: { authorization: `Bearer\t${f.valid}` } },
      socket: { auth: { token: `Bearer\t${f.valid}` } },
      secrets: [f.valid],
    }),
    http: invalid(/followed by spaces/),
    socket: invalid(/followed by spaces/),
  },
  {
    name: "CR/LF inside the credential (header injection attempt)",
    inputs: async (f) => ({
      http: { rawLines: [`Authorization: Bearer ${f.valid}\nX-Injected: 1`] },
      socket: { auth: { token: `${f.valid}\r\nX-Injected: 1` } },
      secrets: [f.valid],
    }),
    http: { nodeStatus: 400 },
    socket: invalid(/b64token/),
  },
  {
    name: "obsolete line folding between scheme and token",
    inputs: async (f) => ({
      http: { rawLines: [`Authorization: Bearer`, ` ${f.valid}`] },
      socket: { auth: { token: `Bearer\r\n ${f.valid}` } },
      secrets: [f.valid],
    }),
    http: { nodeStatus: 400 },
    socket: invalid(/followed by spaces/),
  },
  {
    name: "NUL byte after the token",
    inputs: async (f) => ({
      http: { rawLines: [`Authorization: Bearer ${f.valid}\u0000`] },
      socket: { auth: { token: `${f.valid}\u0000` } },
      secrets: [f.valid],
    }),
    http: { nodeStatus: 400 },
    socket: invalid(/b64token/),
  },
  tokenCase("characters outside the b64token alphabet", async (f) => `${f.valid}!`, invalid(/b64token/)),
  {
    name: "non-ASCII (UTF-8) characters in the token",
    inputs: async (f) => ({
      http: { rawLines: [`Authorization: Bearer ${f.valid}é`] },
      socket: { auth: { token: `${f.valid}é` } },
      secrets: [f.valid],
    }),
    http: invalid(/b64token/),
    socket: invalid(/b64token/),
  },
  {
    name: "token in the query string (access_token)",
    inputs: async (f) => ({
      http: { path: `/profile?access_token=${f.valid}` },
      socket: { query: { access_token: f.valid, token: f.valid } },
      secrets: [f.valid],
    }),
    http: required,
    socket: required,
  },
  {
    name: "token in a cookie",
    inputs: async (f) => ({
      http: { headers: { cookie: `access_token=${f.valid}` } },
      socket: { headers: { cookie: `access_token=${f.valid}` } },
      secrets: [f.valid],
    }),
    http: required,
    socket: required,
  },
  {
    name: "credential of the wrong type (array / JSON)",
    inputs: async (f) => ({
      http: { headers: { authorization: `Bearer ${JSON.stringify([f.valid])}` } },
      socket: { auth: { token: [f.valid] } },
      secrets: [f.valid],
    }),
    http: invalid(/b64token/),
    socket: invalid(/auth\.token is not a string/),
  },

  // ── Token shape, checked before any decoding or crypto ─────────────────
  tokenCase("opaque garbage", async () => "not-a-jwt", invalid(/not a compact JWS/)),
  tokenCase("two segments", async (f) => f.valid.split(".").slice(0, 2).join("."), invalid(/not a compact JWS/)),
  tokenCase("four segments", async (f) => `${f.valid}.${signatureOf(f.valid)}`, invalid(/not a compact JWS/)),
  tokenCase("empty signature segment", async (f) => f.valid.split(".").slice(0, 2).join(".") + ".", invalid(/not a compact JWS/)),
  tokenCase("base64 (not base64url) characters", async (f) => f.valid.replace(/-|_/g, "+") + "+/==", invalid(/not a compact JWS/)),
  tokenCase(
    "JWE (five parts)",
    async (f) => {
      const { publicKey } = await generateKeyPair("RSA-OAEP-256");
      return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(strictClaims(f))))
        .setProtectedHeader({ alg: "RSA-OAEP-256", enc: "A256GCM", typ: "at+jwt" })
        .encrypt(publicKey);
    },
    invalid(/a JWE \(five parts\), not a compact JWS/),
  ),
  tokenCase("oversized token (over 8 KiB), validly signed", async (f) => f.mint({ pad: "x".repeat(9000) }), invalid(/longer than 8192 bytes/)),
  tokenCase("header that is not JSON", async (f) => `${b64url("not json")}.${f.valid.split(".").slice(1).join(".")}`, invalid(/ERR_JWS_INVALID/)),

  // ── Algorithms (RFC 8725 §3.1–3.2) ─────────────────────────────────────
  tokenCase("alg none, unsigned", async (f) => `${json64({ alg: "none", typ: "at+jwt" })}.${json64(strictClaims(f))}.`, invalid(/not a compact JWS/)),
  tokenCase(
    "alg none with a junk signature",
    async (f) => `${json64({ alg: "none", typ: "at+jwt" })}.${json64(strictClaims(f))}.${b64url("junk")}`,
    invalid(/ERR_JOSE_ALG_NOT_ALLOWED/),
  ),
  tokenCase(
    "HS256 signed with the issuer's public key as HMAC secret",
    async (f) =>
      new SignJWT(strictClaims(f))
        .setProtectedHeader({ alg: "HS256", kid: f.publishedJwk.kid, typ: "at+jwt" })
        .sign(new TextEncoder().encode(JSON.stringify(f.publishedJwk))),
    invalid(/ERR_JOSE_ALG_NOT_ALLOWED/),
  ),
  tokenCase(
    "key type does not match alg (ES256 header, RSA key's kid)",
    async (f) => {
      const { privateKey } = await generateKeyPair("ES256");
      return new SignJWT(strictClaims(f)).setProtectedHeader({ alg: "ES256", kid: f.publishedJwk.kid, typ: "at+jwt" }).sign(privateKey);
    },
    invalid(/no JWKS key matches kid and alg ES256/),
  ),
  tokenCase(
    "alg the published key does not name (PS256 against an RS256 key)",
    async (f) => {
      const { privateKey } = await generateKeyPair("PS256");
      return new SignJWT(strictClaims(f)).setProtectedHeader({ alg: "PS256", kid: f.publishedJwk.kid, typ: "at+jwt" }).sign(privateKey);
    },
    invalid(/no JWKS key matches kid and alg PS256/),
  ),

  // ── Keys come only from the configured JWKS (RFC 8725 §3.10) ───────────
  tokenCase("signed by an unpublished key with an unknown kid", async (f) => attackerSigned(f, strictClaims(f), { kid: f.attacker.kid, ...strictHeader }), invalid(/no JWKS key matches kid/)),
  tokenCase(
    "published kid, signature by another key",
    async (f) => attackerSigned(f, strictClaims(f), { kid: f.publishedJwk.kid, ...strictHeader }),
    invalid(/ERR_JWS_SIGNATURE_VERIFICATION_FAILED/),
  ),
  tokenCase(
    "signature of a valid token replaced",
    async (f) => {
      const other = await attackerSigned(f, strictClaims(f), { kid: f.publishedJwk.kid, ...strictHeader });
      return `${f.valid.split(".").slice(0, 2).join(".")}.${signatureOf(other)}`;
    },
    invalid(/ERR_JWS_SIGNATURE_VERIFICATION_FAILED/),
  ),
  tokenCase(
    "claims of a valid token altered (sub changed)",
    async (f) => {
      const [header, , signature] = f.valid.split(".");
      return `${header}.${json64(strictClaims(f, { sub: "admin" }))}.${signature}`;
    },
    invalid(/ERR_JWS_SIGNATURE_VERIFICATION_FAILED/),
  ),
  tokenCase("kid with path traversal", async (f) => attackerSigned(f, strictClaims(f), { kid: "../../../../etc/passwd", ...strictHeader }), invalid(/no JWKS key matches kid/)),
  tokenCase("kid that is a URL to another host", async (f) => attackerSigned(f, strictClaims(f), { kid: `${f.trap.url}/keys/1`, ...strictHeader }), invalid(/no JWKS key matches kid/)),
  tokenCase("kid that is not a string", async (f) => attackerSigned(f, strictClaims(f), { kid: 1, ...strictHeader }), invalid(/"kid" must be a string/)),
  tokenCase(
    "jku pointing to the attacker's JWKS",
    async (f) => attackerSigned(f, strictClaims(f), { kid: f.attacker.kid, jku: `${f.trap.url}/jwks`, ...strictHeader }),
    invalid(/no JWKS key matches kid/),
  ),
  tokenCase(
    "x5u pointing to the attacker's certificate",
    async (f) => attackerSigned(f, strictClaims(f), { kid: f.attacker.kid, x5u: `${f.trap.url}/cert.pem`, ...strictHeader }),
    invalid(/no JWKS key matches kid/),
  ),
  tokenCase(
    "embedded jwk (the attacker's key), no kid",
    async (f) => attackerSigned(f, strictClaims(f), { jwk: f.attacker.jwk, ...strictHeader }),
    invalid(/ERR_JWS_SIGNATURE_VERIFICATION_FAILED/),
  ),
  tokenCase(
    "x5t thumbprint of the attacker's key, no kid",
    async (f) => attackerSigned(f, strictClaims(f), { x5t: b64url("attacker certificate thumbprint"), "x5t#S256": b64url("sha-256 thumbprint"), ...strictHeader }),
    invalid(/ERR_JWS_SIGNATURE_VERIFICATION_FAILED/),
  ),
  tokenCase(
    "embedded x5c chain with the published kid",
    async (f) => attackerSigned(f, strictClaims(f), { kid: f.publishedJwk.kid, x5c: [b64url("not really a certificate")], ...strictHeader }),
    invalid(/ERR_JWS_SIGNATURE_VERIFICATION_FAILED/),
  ),

  // ── Header extensions and nesting ───────────────────────────────────────
  tokenCase(
    "unknown critical header parameter",
    async (f) =>
      f.issuer.sign(JSON.stringify(strictClaims(f)), { ...strictHeader, crit: ["urn:example:ext"], "urn:example:ext": true }),
    invalid(/ERR_JOSE_NOT_SUPPORTED/),
  ),
  tokenCase(
    "crit that is not a list of names",
    async (f) => f.issuer.sign(JSON.stringify(strictClaims(f)), { ...strictHeader, crit: [] }),
    invalid(/"crit"/),
  ),
  tokenCase("b64 false without crit", async (f) => f.mint({}, { header: { b64: false } }), invalid(/"b64"/)),
  tokenCase("b64 false with crit (unencoded payload)", async (f) => f.issuer.sign("abc", { ...strictHeader, b64: false, crit: ["b64"] }, { encodePayload: false }), invalid(/"crit" \(Critical\) Header Parameter lists an extension that is not supported/)),
  tokenCase(
    "nested JWT (cty JWT, a signed JWT as payload)",
    async (f) => f.issuer.sign(await f.mint(), { ...strictHeader, cty: "JWT" }),
    invalid(/Claims Set must be a top-level JSON object/),
  ),
  tokenCase("cty JWT over JSON claims", async (f) => f.mint({}, { header: { cty: "JWT" } }), invalid(/nested JWTs are refused/)),
  tokenCase("claims set that is a JSON array", async (f) => f.issuer.sign(JSON.stringify([strictClaims(f)]), strictHeader), invalid(/Claims Set must be a top-level JSON object/)),

  // ── Registered claims (RFC 7519, RFC 8725 §3.8–3.9) ────────────────────
  tokenCase("wrong issuer", async (f) => f.mint({ iss: "https://evil.example" }), invalid(/"iss"/)),
  tokenCase("issuer differing by a trailing slash", async (f) => f.mint({ iss: `${f.issuer.issuer}/` }), invalid(/"iss"/)),
  tokenCase("wrong audience", async (f) => f.mint({ aud: "another-app" }), invalid(/"aud"/)),
  tokenCase("audience list without ours", async (f) => f.mint({ aud: ["another-app", "third-app"] }), invalid(/"aud"/)),
  tokenCase("no audience", async (f) => f.mint({}, { omit: ["aud"] }), invalid(/"aud"/)),
  tokenCase("no exp", async (f) => f.mint({}, { omit: ["exp"] }), invalid(/"exp"/)),
  tokenCase("exp as a string", async (f) => f.mint({ exp: String(seconds(f.clock) + 300) }), invalid(/"exp"/)),
  tokenCase("expired beyond the clock tolerance", async (f) => f.mint({}, { expiresIn: -(TOLERANCE + 1) }), invalid(/ERR_JWT_EXPIRED/)),
  tokenCase("nbf in the future beyond the tolerance", async (f) => f.mint({ nbf: seconds(f.clock) + TOLERANCE + 2 }), invalid(/"nbf"/)),
  tokenCase("iat in the future beyond the tolerance", async (f) => f.mint({ iat: seconds(f.clock) + TOLERANCE + 2 }), invalid(/"iat"/)),
  tokenCase("older than the maximum token age", async (f) => f.mint({}, { now: seconds(f.clock) - 3700, expiresIn: 4000 }), invalid(/"iat".*too far in the past/)),
  tokenCase("no iat while a maximum token age is set", async (f) => f.mint({}, { omit: ["iat"] }), invalid(/"iat"/)),
  tokenCase("exp 1e400 (JSON that parses as Infinity: a token that never expires)", async (f) => rawDates(f, { exp: "1e400" }), invalid(/"exp" claim must be a NumericDate/)),
  tokenCase("exp -1e400 (-Infinity)", async (f) => rawDates(f, { exp: "-1e400" }), invalid(/"exp" claim timestamp check failed/)),
  tokenCase("exp 9007199254740993 (an integer past 2^53)", async (f) => rawDates(f, { exp: "9007199254740993" }), invalid(/"exp" claim must be a NumericDate/)),
  tokenCase("exp 1e300 (finite, past any Date)", async (f) => rawDates(f, { exp: "1e300" }), invalid(/"exp" claim must be a NumericDate/)),
  tokenCase("nbf -1e400", async (f) => rawDates(f, { nbf: "-1E400" }), invalid(/"nbf" claim must be a NumericDate/)),
  tokenCase("nbf 1e400", async (f) => rawDates(f, { nbf: "1e400" }), invalid(/"nbf" claim timestamp check failed/)),
  tokenCase("iat -1e400 under a maximum token age", async (f) => rawDates(f, { iat: "-1e400" }), invalid(/"iat" claim timestamp check failed \(too far in the past\)/)),
  tokenCase("iat 1e400", async (f) => rawDates(f, { iat: "1e+400" }), invalid(/"iat"/)),
  tokenCase("no sub", async (f) => f.mint({}, { omit: ["sub"] }), invalid(/"sub"/)),
  tokenCase("empty sub", async (f) => f.mint({ sub: "" }), invalid(/"sub" must be a non-empty string/)),
  tokenCase("sub that is a number", async (f) => f.mint({ sub: 42 }), invalid(/"sub" must be a non-empty string/)),

  // ── RFC 9068 profile: typ and authorized party ──────────────────────────
  tokenCase("typ JWT where at+jwt is required", async (f) => f.mint({}, { header: { typ: "JWT" } }), invalid(/header "typ" must be one of at\+jwt/)),
  tokenCase("no typ where at+jwt is required", async (f) => f.mint({}, { header: { typ: undefined } }), invalid(/header "typ" must be one of at\+jwt/)),
  tokenCase(
    "ID token presented as an access token (aud = client id)",
    async (f) =>
      f.mint(
        { aud: f.issuer.audience, azp: CLIENT_ID, nonce: "n-0S6_WzA2Mj", auth_time: seconds(f.clock) - 10, at_hash: "77QmUPtjPfzWtF2AnpK9RQ", email: "u@example.com" },
        { header: { typ: "JWT" } },
      ),
    invalid(/header "typ" must be one of at\+jwt/),
  ),
  tokenCase("azp of another client", async (f) => f.mint({ azp: "other-client" }), invalid(/not an authorized party/)),
  tokenCase("client_id of another client, no azp", async (f) => f.mint({ azp: undefined, client_id: "other-client" }), invalid(/not an authorized party/)),
  tokenCase("neither azp nor client_id", async (f) => f.mint({}, { omit: ["azp"] }), invalid(/not an authorized party/)),

  // ── Hostile but validly signed: accepted, with nothing leaking through ─
  headerCase("lowercase scheme is accepted", (f) => `bearer ${f.valid}`, { accepted: (ctx) => expect(ctx.sub).toBe("user-1") }),
  headerCase("uppercase scheme and several spaces are accepted", (f) => `BEARER   ${f.valid}`, { accepted: (ctx) => expect(ctx.sub).toBe("user-1") }),
  tokenCase("typ application/at+jwt is accepted (RFC 9068 §4)", async (f) => f.mint({}, { header: { typ: "application/AT+JWT" } }), {
    accepted: (ctx) => expect(ctx.sub).toBe("user-1"),
  }),
  tokenCase("client_id alone is accepted as the authorized party", async (f) => f.mint({ azp: undefined, client_id: CLIENT_ID }), {
    accepted: (ctx) => expect(ctx.sub).toBe("user-1"),
  }),
  tokenCase(
    "exponent forms, a fraction and -0 are ordinary NumericDates: accepted",
    async (f) => rawDates(f, { exp: `${(seconds(f.clock) + 300) / 1e3}e3`, iat: `${seconds(f.clock) - 1}.5`, nbf: "-0" }),
    { accepted: (ctx) => expect(ctx.sub).toBe("user-1") },
  ),
  tokenCase("expired within the clock tolerance is accepted", async (f) => f.mint({}, { expiresIn: -(TOLERANCE - 1) }), {
    accepted: (ctx) => expect(ctx.sub).toBe("user-1"),
  }),
  tokenCase(
    "__proto__ / constructor claims do not pollute",
    async (f) =>
      f.mint(
        JSON.parse(
          '{"__proto__":{"polluted":true,"roles":["admin"]},"roles":["user"],' +
            '"features":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"beta":true}}',
        ) as Record<string, unknown>,
      ),
    {
      accepted: (ctx) => {
        expect(ctx).toMatchObject({ sub: "user-1", roles: ["user"], userRole: "user", features: { beta: true } });
        expect(Object.keys(ctx.features as object)).toEqual(["beta"]);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.prototype.hasOwnProperty.call(Object.prototype, "polluted")).toBe(false);
      },
    },
  ),
  tokenCase(
    "claims of the wrong shape degrade to empty values",
    async (f) => f.mint({ roles: "admin", permissions: { read: true }, features: ["beta"] }),
    { accepted: (ctx) => expect(ctx).toMatchObject({ roles: [], permissions: [], features: {}, userRole: "user" }) },
  ),
];

let f: Fixtures;
let app: ProtectedApp;

beforeAll(async () => {
  const issuer = await TestIssuer.start({ alg: "RS256" });
  const clock = new ManualClock();
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const attackerJwk = { ...(await exportJWK(publicKey)), kid: "attacker-key", alg: "RS256", use: "sig" };
  const trap = await TrapServer.start(JSON.stringify({ keys: [attackerJwk] }));
  const jwks = (await (await fetch(issuer.jwksUri)).json()) as { keys: JWK[] };
  const mint = (claims: Record<string, unknown> = {}, options: MintOptions = {}): Promise<string> =>
    issuer.mint({ azp: CLIENT_ID, ...claims }, { now: seconds(clock), ...options, header: { typ: "at+jwt", ...options.header } });
  f = {
    issuer,
    trap,
    clock,
    mint,
    valid: await mint(),
    attacker: { key: privateKey, jwk: attackerJwk, kid: "attacker-key" },
    publishedJwk: jwks.keys[0] as JWK,
  };
  app = await startProtectedApp(issuer, { env: STRICT_ENV, clock });
  await app.ready();
});

afterAll(async () => {
  await app?.stop();
  await f?.issuer.close();
  await f?.trap.close();
});

beforeEach(() => {
  calls.length = 0;
  app.log.clear();
});

test("the corpus holds at least 45 named bad inputs, all distinct", () => {
  const refusals = cases.filter((c) => !("accepted" in c.http) || !("accepted" in c.socket));
  expect(refusals.length).toBeGreaterThanOrEqual(45);
  expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
});

test("the base token of the corpus is accepted on both transports", async () => {
  const http = await httpGet(`${app.url}/profile`, { authorization: `Bearer ${f.valid}` });
  expect(http.status).toBe(200);
  const socket = await socketProbe(app.url, "/chat", { auth: { token: f.valid } });
  expect(socket.connected).toBe(true);
  expect(calls).toEqual(["http:getProfile", "socket:whoami"]);
});

test("claims with __proto__ / constructor keys build a context with a clean prototype chain", () => {
  // Over the wire JSON hides a swapped prototype, so the copy itself is checked here.
  const claims = JSON.parse(
    '{"sub":"u","iss":"i","exp":1,"features":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"nested":{"__proto__":{"polluted":true}}}}',
  ) as VerifiedClaims;
  const { features } = buildUserContext(claims, undefined);
  expect(Object.getPrototypeOf(features)).toBe(Object.prototype);
  expect(Object.getPrototypeOf(features.nested)).toBe(Object.prototype);
  expect((features as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.keys(features)).toEqual(["nested"]);
});

async function sendHttp(input: HttpInput): Promise<HttpOutcome> {
  const url = `${app.url}${input.path ?? "/profile"}`;
  return input.rawLines ? rawHttpGet(app.url, input.path ?? "/profile", input.rawLines) : httpGet(url, input.headers);
}

/**
 * Reasons of the refusals caused by the server's settings logged so far (at warn, with a rule): the later
 * ones of the same rule are counted, not logged again, within the interval (see settingRefusalLog), and the
 * cases share one app whose clock stands still.
 */
const sampledReasons: string[] = [];

/** Exactly one refusal record with the case's code and reason (or none for a repeated settings refusal), and no token anywhere in the log. */
function expectLoggedOnce(refusal: Refusal, transport: string, secrets: string[]): void {
  const records = app.log.refusals();
  expectNoSecretIn(app.log.text, secrets);
  if (records.length === 0 && sampledReasons.some((reason) => refusal.reason.test(reason))) return;
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({ code: refusal.code, transport });
  expect(records[0]?.reason).toMatch(refusal.reason);
  if (records[0]?.level === PINO_LEVEL.warn && typeof records[0].rule === "string") {
    expect(records[0]).toEqual(expect.objectContaining({ setting: expect.stringMatching(/^AUTH_SERVICE_/), expected: expect.anything() }));
    sampledReasons.push(String(records[0].reason));
  }
}

function expectNoSecretIn(text: string, secrets: string[]): void {
  for (const secret of secrets) {
    expect(text.includes(secret)).toBe(false);
    const signature = signatureOf(secret);
    if (signature.length >= 16) expect(text.includes(signature)).toBe(false);
  }
}

describe.each(cases)("$name", (c) => {
  let inputs: Inputs | undefined;
  const prepared = async (): Promise<Inputs> => (inputs ??= await c.inputs(f));

  test("over HTTP", async () => {
    const { http, secrets } = await prepared();
    const res = await sendHttp(http);
    const outcome = c.http;
    if ("accepted" in outcome) {
      expect(res.status).toBe(200);
      expect(calls).toEqual(["http:getProfile"]);
      outcome.accepted(res.body ?? {});
      expect(app.log.refusals()).toHaveLength(0);
    } else if ("nodeStatus" in outcome) {
      expect(res.status).toBe(outcome.nodeStatus);
      expect(calls).toEqual([]);
      expect(app.log.refusals()).toHaveLength(0);
    } else {
      expect(res.status).toBe(OIDC_ERROR_STATUS[outcome.code]);
      expect(res.body).toMatchObject({ statusCode: OIDC_ERROR_STATUS[outcome.code], code: outcome.code });
      expect(res.headers["www-authenticate"]).toEqual(
        // DPoP is offered beside Bearer (AUTH_SERVICE_DPOP=allowed by default).
        outcome.code === ERR_AUTH_TOKEN_REQUIRED ? expect.stringMatching(/^Bearer realm="api", DPoP algs="[^"]+"$/) : expect.stringContaining('error="invalid_token"'),
      );
      expect(calls).toEqual([]);
      expectLoggedOnce(outcome, "http", secrets);
      expectNoSecretIn(JSON.stringify(res.body), secrets);
    }
    expect(f.trap.hits).toBe(0);
  });

  test("over Socket.IO", async () => {
    const { socket, secrets } = await prepared();
    const probe = await socketProbe(app.url, "/chat", socket);
    const outcome = c.socket;
    if ("accepted" in outcome) {
      expect(probe.connected).toBe(true);
      expect(calls).toEqual(["socket:whoami"]);
      outcome.accepted(probe.context ?? {});
      expect(app.log.refusals()).toHaveLength(0);
    } else if ("nodeStatus" in outcome) {
      throw new Error("a Socket.IO case cannot be refused by Node's HTTP parser");
    } else {
      expect(probe.connected).toBe(false);
      expect(probe.error?.message).toBe(outcome.code);
      expect(probe.error?.data).toMatchObject({ code: outcome.code, statusCode: OIDC_ERROR_STATUS[outcome.code] });
      expect(calls).toEqual([]);
      expectLoggedOnce(outcome, "socket", secrets);
      expectNoSecretIn(JSON.stringify(probe.error), secrets);
    }
    expect(f.trap.hits).toBe(0);
  });
});
