/**
 * The floor: a middleware that only checks the token's signature with
 * `node:crypto.verify` (thread-pool callback form, like ioserver-oidc), the
 * key picked by `kid` from the JWKS loaded once. No claim checks, no
 * context: the least any verifier must do per request, so the distance
 * between it and ioserver-oidc's cold path is our own overhead.
 */
import { createPublicKey, verify, type JsonWebKey, type KeyObject, type VerifyKeyObjectInput } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";

const SCHEMES: Record<string, { hash: string | null; options?: Omit<VerifyKeyObjectInput, "key"> }> = {
  RS256: { hash: "sha256" },
  ES256: { hash: "sha256", options: { dsaEncoding: "ieee-p1363" } },
  EdDSA: { hash: null },
};

let keys: Promise<Map<string, KeyObject>> | undefined;

async function loadKeys(): Promise<Map<string, KeyObject>> {
  const jwks = (await (await fetch(process.env.AUTH_SERVICE_JWKS_URI ?? "")).json()) as { keys: (JsonWebKey & { kid: string })[] };
  return new Map(jwks.keys.map((jwk) => [jwk.kid, createPublicKey({ key: jwk, format: "jwk" })]));
}

async function signatureValid(token: string): Promise<boolean> {
  const firstDot = token.indexOf(".");
  const lastDot = token.lastIndexOf(".");
  const header = JSON.parse(Buffer.from(token.slice(0, firstDot), "base64url").toString()) as { alg: string; kid: string };
  const key = (await (keys ??= loadKeys())).get(header.kid);
  return key !== undefined && compactSignatureValid(token, lastDot, header.alg, key);
}

/** A compact JWS's signature with `key`, by node:crypto alone. */
function compactSignatureValid(jws: string, lastDot: number, alg: string, key: KeyObject): Promise<boolean> {
  const scheme = SCHEMES[alg];
  if (!scheme) return Promise.resolve(false);
  return new Promise((resolve) => {
    verify(scheme.hash, Buffer.from(jws.slice(0, lastDot)), { key, ...scheme.options }, Buffer.from(jws.slice(lastDot + 1), "base64url"), (error, valid) =>
      resolve(!error && valid),
    );
  });
}

export class FloorHttpMiddleware {
  handle(): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
    return async (request, reply) => {
      const token = request.headers.authorization?.slice("Bearer ".length) ?? "";
      return (await signatureValid(token)) ? undefined : reply.status(401).send({ code: "ERR_AUTH_TOKEN_INVALID" });
    };
  }
}

const proofKeys = new Map<string, KeyObject>();

/** The proof's own signature, with the key its `jwk` header carries (imported once per key). */
async function proofSignatureValid(proof: string): Promise<boolean> {
  const firstDot = proof.indexOf(".");
  const lastDot = proof.lastIndexOf(".");
  const header = JSON.parse(Buffer.from(proof.slice(0, firstDot), "base64url").toString()) as { alg: string; jwk: JsonWebKey };
  const id = JSON.stringify(header.jwk);
  let key = proofKeys.get(id);
  if (key === undefined) proofKeys.set(id, (key = createPublicKey({ key: header.jwk, format: "jwk" })));
  return compactSignatureValid(proof, lastDot, header.alg, key);
}

/**
 * The DPoP floor: two bare signature checks per request, the token's
 * (`Authorization: DPoP`) and the proof's (`DPoP` header), run one after
 * the other as a verifier must (the proof names the token through `ath`).
 * No claim, `htu`, replay or binding check.
 */
export class FloorDpopHttpMiddleware {
  handle(): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
    return async (request, reply) => {
      const token = request.headers.authorization?.slice("DPoP ".length) ?? "";
      const proof = String(request.headers.dpop ?? "");
      return (await signatureValid(token)) && (await proofSignatureValid(proof)) ? undefined : reply.status(401).send({ code: "ERR_AUTH_TOKEN_INVALID" });
    };
  }
}
