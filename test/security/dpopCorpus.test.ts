import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { generateKeyPairSync, sign } from "node:crypto";
import { calculateJwkThumbprint } from "jose";
import { request as httpRequest } from "node:http";
import { TestIssuer } from "../../src/testing/index.js";
import { calls, connectSocket } from "../fixtures/app.js";
import { athOf, goodParts, rawKey, rawProof, type RawKey } from "../fixtures/dpopProofs.js";
import { startProtectedApp, type AuthServiceEnv, type ProtectedApp } from "../interop/protectedApp.js";

// At least 40 bad DPoP proofs and headers, each refused with an exact status, RFC 9449 error and challenge,
// over HTTP (GET /profile) and on the Socket.IO handshake (/chat, auth { token, dpop }).
const ALGS = 'algs="ES256 ES384 PS256 RS256 EdDSA"';
let issuer: TestIssuer;
let app: ProtectedApp;
let key: RawKey;
let jkt: string;
let token: string;

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256", audience: "chat-app" });
  app = await startProtectedApp(issuer.env({ AUTH_SERVICE_APP_SLUG: "chat-app", AUTH_SERVICE_DPOP_ALGORITHMS: "ES256,ES384,PS256,RS256,EdDSA" }) as AuthServiceEnv);
  key = rawKey();
  jkt = await calculateJwkThumbprint(key.jwk as never);
  token = await issuer.mint({ sub: "alice", aud: "chat-app", cnf: { jkt } });
});
afterAll(async () => {
  await app.stop();
  await issuer.close();
});

type ErrorName = "invalid_dpop_proof" | "invalid_token" | "invalid_request";
interface Presented {
  /** The access token sent (default the bound token). */
  token?: string;
  /** The proof; `undefined` sends none. */
  proof: string | undefined;
}
type Build = (htm: string, htu: string) => Presented;

const now = () => Math.floor(Date.now() / 1000);
/** A good proof with `change` applied to its header and claims (a member set to undefined is removed). */
const spoil =
  (change: (parts: { header: Record<string, unknown>; payload: Record<string, unknown> }) => void, signer?: () => RawKey): Build =>
  (htm, htu) => {
    const parts = goodParts(key, htm, htu, token);
    change(parts);
    const drop = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
    return { proof: rawProof(key, drop(parts.header), drop(parts.payload), signer ? { signer: signer().privateKey } : {}) };
  };
const raw = (proof: string): Build => () => ({ proof });
const good = (htm: string, htu: string) => rawProof(key, goodParts(key, htm, htu, token).header, goodParts(key, htm, htu, token).payload);
const otherHost = (htu: string) => htu.replace("127.0.0.1", "localhost");

const rsa1024 = generateKeyPairSync("rsa", { modulusLength: 1024 });
const rsa1024Jwk = rsa1024.publicKey.export({ format: "jwk" });

/** [name, proof, RFC 9449 error, error_description]: every one a 401 on both transports. */
const CASES: [string, Build, ErrorName, string][] = [
  ["no proof with the DPoP scheme", () => ({ proof: undefined }), "invalid_dpop_proof", "A DPoP proof is required with the DPoP scheme"],
  ["not a JWT", raw("not-a-jwt"), "invalid_dpop_proof", "The DPoP proof is not a well-formed JWT"],
  ["two parts", raw("eyJhbGciOiJFUzI1NiJ9.e30"), "invalid_dpop_proof", "The DPoP proof is not a well-formed JWT"],
  ["five parts (a JWE)", raw("a.b.c.d.e"), "invalid_dpop_proof", "The DPoP proof is not a well-formed JWT"],
  ["an empty signature", raw("eyJhbGciOiJFUzI1NiJ9.e30."), "invalid_dpop_proof", "The DPoP proof is not a well-formed JWT"],
  ["over 8 KiB", raw(`${"a".repeat(9000)}.b.c`), "invalid_dpop_proof", "The DPoP proof is not a well-formed JWT"],
  ["a header that is not JSON", () => ({ proof: rawProof(key, "{not json", "{}") }), "invalid_dpop_proof", "The DPoP proof is not a well-formed JWT"],
  ["a header that is a JSON array", () => ({ proof: rawProof(key, "[1]", "{}") }), "invalid_dpop_proof", "The DPoP proof is not a well-formed JWT"],
  ["no typ", spoil((p) => void (p.header.typ = undefined)), "invalid_dpop_proof", 'The DPoP proof header "typ" must be "dpop+jwt"'],
  ["typ JWT", spoil((p) => void (p.header.typ = "JWT")), "invalid_dpop_proof", 'The DPoP proof header "typ" must be "dpop+jwt"'],
  ["typ at+jwt", spoil((p) => void (p.header.typ = "at+jwt")), "invalid_dpop_proof", 'The DPoP proof header "typ" must be "dpop+jwt"'],
  ["typ a number", spoil((p) => void (p.header.typ = 1)), "invalid_dpop_proof", 'The DPoP proof header "typ" must be "dpop+jwt"'],
  ["alg none", spoil((p) => void (p.header.alg = "none")), "invalid_dpop_proof", 'The DPoP proof header "alg" is not an allowed algorithm'],
  ["alg HS256", spoil((p) => void (p.header.alg = "HS256")), "invalid_dpop_proof", 'The DPoP proof header "alg" is not an allowed algorithm'],
  ["alg ES512 (supported, not in AUTH_SERVICE_DPOP_ALGORITHMS)", spoil((p) => void (p.header.alg = "ES512")), "invalid_dpop_proof", 'The DPoP proof header "alg" is not an allowed algorithm'],
  ["no alg", spoil((p) => void (p.header.alg = undefined)), "invalid_dpop_proof", 'The DPoP proof header "alg" is not an allowed algorithm'],
  ["a crit header", spoil((p) => void (p.header.crit = ["exp"])), "invalid_dpop_proof", 'The DPoP proof header "crit" is not supported'],
  ["no jwk", spoil((p) => void (p.header.jwk = undefined)), "invalid_dpop_proof", 'The DPoP proof header must carry the public key as "jwk"'],
  ["jwk a string", spoil((p) => void (p.header.jwk = "key")), "invalid_dpop_proof", 'The DPoP proof header must carry the public key as "jwk"'],
  ["jwk an array", spoil((p) => void (p.header.jwk = [key.jwk])), "invalid_dpop_proof", 'The DPoP proof header must carry the public key as "jwk"'],
  ["jwk with the private d", spoil((p) => void (p.header.jwk = { ...key.jwk, d: key.privateKey.export({ format: "jwk" }).d })), "invalid_dpop_proof", 'The DPoP proof "jwk" must be a public key, without private members'],
  ["jwk symmetric (oct, k)", spoil((p) => void (p.header.jwk = { kty: "oct", k: "c2VjcmV0" })), "invalid_dpop_proof", 'The DPoP proof "jwk" must be a public key, without private members'],
  ["jwk of another curve than alg", spoil((p) => void (p.header.jwk = { ...key.jwk, crv: "P-384" })), "invalid_dpop_proof", 'The DPoP proof "jwk" does not fit its "alg"'],
  ["jwk of another type than alg (RS256 with an EC key)", spoil((p) => void (p.header.alg = "RS256")), "invalid_dpop_proof", 'The DPoP proof "jwk" does not fit its "alg"'],
  ["jwk naming another alg", spoil((p) => void (p.header.jwk = { ...key.jwk, alg: "ES384" })), "invalid_dpop_proof", 'The DPoP proof "jwk" does not fit its "alg"'],
  ["jwk x not a string", spoil((p) => void (p.header.jwk = { ...key.jwk, x: 1 })), "invalid_dpop_proof", 'The DPoP proof "jwk" is not a valid public key'],
  ["jwk a point off the curve", spoil((p) => void (p.header.jwk = { ...key.jwk, x: Buffer.alloc(32, 7).toString("base64url") })), "invalid_dpop_proof", 'The DPoP proof "jwk" is not a valid public key'],
  ["jwk RSA of 1024 bits", spoil((p) => { p.header.alg = "RS256"; p.header.jwk = { kty: "RSA", n: rsa1024Jwk.n, e: rsa1024Jwk.e }; }), "invalid_dpop_proof", 'The DPoP proof "jwk" is not a valid public key'],
  ["signed by another key than its jwk", spoil(() => undefined, rawKey), "invalid_dpop_proof", "The DPoP proof signature is invalid"],
  // A middle character: the last one of a base64url segment may only carry padding bits.
  ["a tampered signature", (htm, htu) => ({ proof: good(htm, htu).replace(/(\.[^.]{10})(.)([^.]*)$/, (_m, head: string, c: string, tail: string) => `${head}${c === "A" ? "B" : "A"}${tail}`) }), "invalid_dpop_proof", "The DPoP proof signature is invalid"],
  ["a DER (not JWS raw) ECDSA signature", (htm, htu) => {
    const [h, p] = good(htm, htu).split(".");
    return { proof: `${h}.${p}.${sign("sha256", Buffer.from(`${h}.${p}`), key.privateKey).toString("base64url")}` };
  }, "invalid_dpop_proof", "The DPoP proof signature is invalid"],
  ["a payload that is not JSON", () => ({ proof: rawProof(key, { typ: "dpop+jwt", alg: "ES256", jwk: key.jwk }, "not json") }), "invalid_dpop_proof", "The DPoP proof is not a well-formed JWT"],
  ["no jti", spoil((p) => void (p.payload.jti = undefined)), "invalid_dpop_proof", 'The DPoP proof "jti" must be a string of 1 to 512 characters'],
  ["jti a number", spoil((p) => void (p.payload.jti = 42)), "invalid_dpop_proof", 'The DPoP proof "jti" must be a string of 1 to 512 characters'],
  ["jti empty", spoil((p) => void (p.payload.jti = "")), "invalid_dpop_proof", 'The DPoP proof "jti" must be a string of 1 to 512 characters'],
  ["jti of 513 characters", spoil((p) => void (p.payload.jti = "j".repeat(513))), "invalid_dpop_proof", 'The DPoP proof "jti" must be a string of 1 to 512 characters'],
  ["no htm", spoil((p) => void (p.payload.htm = undefined)), "invalid_dpop_proof", 'The DPoP proof must carry an "htm" string'],
  ["htm POST", spoil((p) => void (p.payload.htm = "POST")), "invalid_dpop_proof", 'The DPoP proof "htm" does not match the request method'],
  ["htm lower-case get", spoil((p) => void (p.payload.htm = "get")), "invalid_dpop_proof", 'The DPoP proof "htm" does not match the request method'],
  ["no htu", spoil((p) => void (p.payload.htu = undefined)), "invalid_dpop_proof", 'The DPoP proof must carry an "htu" string'],
  ["htu a number", spoil((p) => void (p.payload.htu = 1)), "invalid_dpop_proof", 'The DPoP proof must carry an "htu" string'],
  ["htu of another path", spoil((p) => void (p.payload.htu = `${app.url}/other`)), "invalid_dpop_proof", 'The DPoP proof "htu" does not match the request URL'],
  ["htu of another host", spoil((p) => void (p.payload.htu = otherHost(String(p.payload.htu)))), "invalid_dpop_proof", 'The DPoP proof "htu" does not match the request URL'],
  ["htu with https", spoil((p) => void (p.payload.htu = String(p.payload.htu).replace("http:", "https:"))), "invalid_dpop_proof", 'The DPoP proof "htu" does not match the request URL'],
  ["htu of another port", spoil((p) => void (p.payload.htu = String(p.payload.htu).replace(/:\d+/, ":1"))), "invalid_dpop_proof", 'The DPoP proof "htu" does not match the request URL'],
  ["htu relative", spoil((p) => void (p.payload.htu = new URL(String(p.payload.htu)).pathname)), "invalid_dpop_proof", 'The DPoP proof "htu" does not match the request URL'],
  ["htu a ws: URL", spoil((p) => void (p.payload.htu = String(p.payload.htu).replace("http:", "ws:"))), "invalid_dpop_proof", 'The DPoP proof "htu" does not match the request URL'],
  ["htu with user info", spoil((p) => void (p.payload.htu = String(p.payload.htu).replace("//", "//u:p@"))), "invalid_dpop_proof", 'The DPoP proof "htu" does not match the request URL'],
  ["no iat", spoil((p) => void (p.payload.iat = undefined)), "invalid_dpop_proof", 'The DPoP proof must carry a numeric "iat"'],
  ["iat a string", spoil((p) => void (p.payload.iat = String(now()))), "invalid_dpop_proof", 'The DPoP proof must carry a numeric "iat"'],
  ["iat 301 s old", spoil((p) => void (p.payload.iat = now() - 301)), "invalid_dpop_proof", 'The DPoP proof "iat" is too old'],
  ["iat 60 s ahead", spoil((p) => void (p.payload.iat = now() + 60)), "invalid_dpop_proof", 'The DPoP proof "iat" is in the future'],
  ["no ath", spoil((p) => void (p.payload.ath = undefined)), "invalid_dpop_proof", 'The DPoP proof "ath" does not match the access token'],
  ["ath of another token", spoil((p) => void (p.payload.ath = athOf("another-token"))), "invalid_dpop_proof", 'The DPoP proof "ath" does not match the access token'],
  ["ath in hex", spoil((p) => void (p.payload.ath = Buffer.from(athOf(token), "base64url").toString("hex"))), "invalid_dpop_proof", 'The DPoP proof "ath" does not match the access token'],
  ["a token without cnf", (htm, htu) => ({ token: unboundToken, proof: rawProof(key, goodParts(key, htm, htu, unboundToken).header, goodParts(key, htm, htu, unboundToken).payload) }), "invalid_token", "The access token is not DPoP-bound (no cnf.jkt)"],
  ["a token bound to another key", (htm, htu) => ({ token: otherBoundToken, proof: rawProof(key, goodParts(key, htm, htu, otherBoundToken).header, goodParts(key, htm, htu, otherBoundToken).payload) }), "invalid_token", "Invalid DPoP key binding"],
];
let unboundToken = "";
let otherBoundToken = "";
beforeAll(async () => {
  unboundToken = await issuer.mint({ sub: "alice", aud: "chat-app" });
  otherBoundToken = await issuer.mint({ sub: "alice", aud: "chat-app", cnf: { jkt: "A".repeat(43), "x5t#S256": "ignored" } });
});

const challengeOf = (error: ErrorName, description: string) =>
  error === "invalid_request"
    ? `Bearer realm="api", error="invalid_request", error_description="${description}", DPoP ${ALGS}`
    : `Bearer realm="api", DPoP error="${error}", error_description="${description.replace(/"/g, "")}", ${ALGS}`;

/** A GET over a raw socket, so headers can repeat and hold anything. */
function rawGet(headers: [string, string][]): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> }> {
  const url = new URL(`${app.url}/profile`);
  return new Promise((resolve, reject) => {
    // A raw header list gets no Host from Node: add the real one unless the test sends its own.
    const all: [string, string][] = headers.some(([name]) => name === "host") ? headers : [["host", url.host], ...headers];
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: "GET", headers: all.flat(), timeout: 5000 }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = { text };
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

test(`the corpus holds at least 40 bad proofs (${CASES.length})`, () => {
  expect(CASES.length).toBeGreaterThanOrEqual(40);
});

describe("HTTP: each bad proof is a 401 with its RFC 9449 error on the DPoP challenge; no handler runs", () => {
  test.each(CASES)("%s", async (_name, build, error, description) => {
    const presented = build("GET", `${app.url}/profile`);
    const headers: [string, string][] = [["authorization", `DPoP ${presented.token ?? token}`]];
    if (presented.proof !== undefined) headers.push(["dpop", presented.proof]);
    const before = calls.length;
    const res = await rawGet(headers);
    expect({ status: res.status, challenge: res.headers["www-authenticate"], body: res.body }).toEqual({
      status: 401,
      challenge: challengeOf(error, description),
      body: { statusCode: 401, error: "Unauthorized", code: "ERR_AUTH_TOKEN_INVALID", message: description },
    });
    expect(res.headers["access-control-expose-headers"]).toBe("WWW-Authenticate, DPoP-Nonce");
    expect(calls.length).toBe(before);
  });
});

describe("Socket.IO: each bad proof in auth.dpop is a connect_error with the same code, status, message and challenge", () => {
  test.each(CASES)("%s", async (_name, build, error, description) => {
    const presented = build("GET", `${app.url}/chat`);
    // Without auth.dpop the handshake is Bearer unless the token says "DPoP " (docs/dpop.md).
    const sent = presented.token ?? token;
    const auth = presented.proof === undefined ? { token: `DPoP ${sent}` } : { token: sent, dpop: presented.proof };
    const outcome = await connectSocket(app.url, "/chat", { auth });
    outcome.socket?.close();
    expect(outcome).toEqual({
      connected: false,
      error: { message: "ERR_AUTH_TOKEN_INVALID", data: { code: "ERR_AUTH_TOKEN_INVALID", statusCode: 401, message: description, challenge: challengeOf(error, description) } },
    });
  });
});

describe("headers and credentials", () => {
  test("two DPoP headers (HTTP): invalid_dpop_proof", async () => {
    const proof = good("GET", `${app.url}/profile`);
    const res = await rawGet([["authorization", `DPoP ${token}`], ["dpop", proof], ["dpop", proof]]);
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe(challengeOf("invalid_dpop_proof", "The request carries more than one DPoP header"));
  });

  test("two Authorization headers, Bearer and DPoP (HTTP): 400 invalid_request", async () => {
    const res = await rawGet([["authorization", `Bearer ${token}`], ["authorization", `DPoP ${token}`], ["dpop", good("GET", `${app.url}/profile`)]]);
    expect({ status: res.status, challenge: res.headers["www-authenticate"], code: res.body.code }).toEqual({
      status: 400,
      challenge: challengeOf("invalid_request", "The request uses both the Bearer and the DPoP scheme: send one"),
      code: "ERR_AUTH_TOKEN_INVALID",
    });
  });

  test("auth.token 'Bearer …' with auth.dpop (Socket.IO): 400 invalid_request", async () => {
    const outcome = await connectSocket(app.url, "/chat", { auth: { token: `Bearer ${token}`, dpop: good("GET", `${app.url}/chat`) } });
    expect(outcome.error?.data).toEqual({
      code: "ERR_AUTH_TOKEN_INVALID",
      statusCode: 400,
      message: "The request uses both the Bearer and the DPoP scheme: send one",
      challenge: challengeOf("invalid_request", "The request uses both the Bearer and the DPoP scheme: send one"),
    });
  });

  test("auth.dpop not a string (Socket.IO): invalid_dpop_proof", async () => {
    const outcome = await connectSocket(app.url, "/chat", { auth: { token, dpop: { proof: "x" } } });
    expect(outcome.error?.data).toMatchObject({ statusCode: 401, challenge: challengeOf("invalid_dpop_proof", "auth.dpop must be a string") });
  });

  test("a missing Host header (HTTP/1.0): invalid_dpop_proof", async () => {
    const url = new URL(app.url);
    const { createConnection } = await import("node:net");
    const proof = good("GET", `${app.url}/profile`);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = createConnection({ host: url.hostname, port: Number(url.port) }, () => socket.write(`GET /profile HTTP/1.0\r\nAuthorization: DPoP ${token}\r\nDPoP: ${proof}\r\n\r\n`));
      let text = "";
      socket.setTimeout(5000, () => socket.destroy(new Error("timeout")));
      socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.[01] 401/);
    expect(answer).toContain('DPoP error="invalid_dpop_proof", error_description="The request has a missing or malformed Host header"');
  });

  test.each(["evil.example.com/x", "a b", "host@evil", "[::1"])("a malformed Host header (%s): invalid_dpop_proof", async (host) => {
    // A proof for exactly the URL that Host names: only the Host check can refuse it.
    const res = await rawGet([["host", host], ["authorization", `DPoP ${token}`], ["dpop", good("GET", `http://${host}/profile`)]]);
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toContain('DPoP error="invalid_dpop_proof", error_description="The request has a missing or malformed Host header"');
    expect(res.body).toMatchObject({ code: "ERR_AUTH_TOKEN_INVALID" });
  });

  test("the corpus' own good proof is accepted on both transports (control)", async () => {
    const res = await rawGet([["authorization", `DPoP ${token}`], ["dpop", good("GET", `${app.url}/profile`)]]);
    expect(res.status).toBe(200);
    const outcome = await connectSocket(app.url, "/chat", { auth: { token, dpop: good("GET", `${app.url}/chat`) } });
    expect(outcome.connected).toBe(true);
    outcome.socket?.close();
  });
});
