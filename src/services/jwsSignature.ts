import { constants, verify, type KeyObject, type VerifyKeyObjectInput } from "node:crypto";
import type { SupportedAlgorithm } from "../config.js";

/**
 * How each JWS algorithm maps onto `node:crypto.verify` (RFC 7518 §3,
 * RFC 8037). node:crypto verifies synchronously on the calling thread,
 * about 4× cheaper per token than WebCrypto's `subtle.verify`, which jose
 * uses and which pays a thread-pool round trip per call.
 */
interface Scheme {
  /** Digest given to `verify`; `null` for EdDSA, which hashes internally. */
  readonly hash: string | null;
  /** RSASSA-PSS: the salt is as long as the hash (RFC 7518 §3.5). */
  readonly pssSaltLength?: number;
  /** ECDSA: JWS carries the raw `r || s` (RFC 7518 §3.4), of exactly this many bytes. */
  readonly ecdsaSignatureBytes?: number;
}

const SCHEMES: Readonly<Record<SupportedAlgorithm, Scheme>> = {
  RS256: { hash: "sha256" },
  RS384: { hash: "sha384" },
  RS512: { hash: "sha512" },
  PS256: { hash: "sha256", pssSaltLength: 32 },
  PS384: { hash: "sha384", pssSaltLength: 48 },
  PS512: { hash: "sha512", pssSaltLength: 64 },
  ES256: { hash: "sha256", ecdsaSignatureBytes: 64 },
  ES384: { hash: "sha384", ecdsaSignatureBytes: 96 },
  ES512: { hash: "sha512", ecdsaSignatureBytes: 132 },
  EdDSA: { hash: null },
  Ed25519: { hash: null },
};

/**
 * True when `signature` is a valid `alg` signature of `signingInput`
 * (`<header>.<payload>` as sent) under `key`. The caller has already
 * checked that `alg` is allowed and that the key's type fits it; an unknown
 * `alg`, a malformed signature or a key of the wrong type gives `false`,
 * never an exception.
 */
export function verifyJwsSignature(alg: string, key: KeyObject, signingInput: Buffer, signature: Buffer): boolean {
  const scheme = Object.hasOwn(SCHEMES, alg) ? SCHEMES[alg as SupportedAlgorithm] : undefined;
  if (scheme === undefined) return false;
  if (scheme.ecdsaSignatureBytes !== undefined && signature.length !== scheme.ecdsaSignatureBytes) return false;
  const input: VerifyKeyObjectInput | KeyObject =
    scheme.pssSaltLength !== undefined
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.pssSaltLength }
      : scheme.ecdsaSignatureBytes !== undefined
        ? { key, dsaEncoding: "ieee-p1363" }
        : key;
  try {
    return verify(scheme.hash, signingInput, input, signature);
  } catch {
    return false;
  }
}
