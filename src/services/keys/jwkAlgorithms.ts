import type { JWK } from "jose";

/** The key type (and curve) each accepted JWS algorithm requires (RFC 7518 §3, RFC 8037). */
const REQUIRED_KEY: Record<string, { kty: string; crv?: string }> = {
  RS256: { kty: "RSA" },
  RS384: { kty: "RSA" },
  RS512: { kty: "RSA" },
  PS256: { kty: "RSA" },
  PS384: { kty: "RSA" },
  PS512: { kty: "RSA" },
  ES256: { kty: "EC", crv: "P-256" },
  ES384: { kty: "EC", crv: "P-384" },
  ES512: { kty: "EC", crv: "P-521" },
  EdDSA: { kty: "OKP", crv: "Ed25519" },
  Ed25519: { kty: "OKP", crv: "Ed25519" },
};

/**
 * True when a published key may verify a token signed with `alg`: the key
 * type and curve fit the algorithm, and a key that names its own `alg`
 * names this one (RFC 8725 §3.1: the key, not the token, decides).
 */
export function jwkMatchesAlgorithm(jwk: JWK, alg: string): boolean {
  const required = REQUIRED_KEY[alg];
  if (!required || jwk.kty !== required.kty) return false;
  if (required.crv !== undefined && jwk.crv !== required.crv) return false;
  return jwk.alg === undefined || jwk.alg === alg;
}

/** Keys a JWKS may contribute: public signature keys of a supported type. */
export function isUsablePublicKey(jwk: JWK): boolean {
  if (typeof jwk !== "object" || jwk === null) return false;
  if (jwk.kty !== "RSA" && jwk.kty !== "EC" && jwk.kty !== "OKP") return false;
  if (jwk.use !== undefined && jwk.use !== "sig") return false;
  if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes("verify")) return false;
  // A private key published by mistake is never used.
  return jwk.d === undefined;
}
