import { constants, verify, type KeyObject, type VerifyKeyObjectInput } from "node:crypto";
import type { SupportedAlgorithm } from "../../config.js";

/**
 * How each JWS algorithm maps onto `node:crypto.verify` (RFC 7518 §3,
 * RFC 8037). The callback form runs the check on the libuv thread pool, so
 * the event loop keeps serving while it runs, as with WebCrypto, but
 * without WebCrypto's and jose's per-call overhead (see bench/README.md).
 */
interface Scheme {
  /** The `KeyObject` type (and curve) the algorithm needs. */
  readonly keyType: "rsa" | "ec" | "ed25519";
  readonly namedCurve?: string;
  /** Digest given to `verify`; `null` for EdDSA, which hashes internally. */
  readonly hash: string | null;
  /** RSASSA-PSS: the salt is as long as the hash (RFC 7518 §3.5). */
  readonly pssSaltLength?: number;
  /** ECDSA: JWS carries the raw `r || s` (RFC 7518 §3.4), of exactly this many bytes. */
  readonly ecdsaSignatureBytes?: number;
}

const SCHEMES: Readonly<Record<SupportedAlgorithm, Scheme>> = {
  RS256: { keyType: "rsa", hash: "sha256" },
  RS384: { keyType: "rsa", hash: "sha384" },
  RS512: { keyType: "rsa", hash: "sha512" },
  PS256: { keyType: "rsa", hash: "sha256", pssSaltLength: 32 },
  PS384: { keyType: "rsa", hash: "sha384", pssSaltLength: 48 },
  PS512: { keyType: "rsa", hash: "sha512", pssSaltLength: 64 },
  ES256: { keyType: "ec", namedCurve: "prime256v1", hash: "sha256", ecdsaSignatureBytes: 64 },
  ES384: { keyType: "ec", namedCurve: "secp384r1", hash: "sha384", ecdsaSignatureBytes: 96 },
  ES512: { keyType: "ec", namedCurve: "secp521r1", hash: "sha512", ecdsaSignatureBytes: 132 },
  EdDSA: { keyType: "ed25519", hash: null },
  Ed25519: { keyType: "ed25519", hash: null },
};

/**
 * Resolves `true` when `signature` is a valid `alg` signature of
 * `signingInput` (`<header>.<payload>` as sent) under `key`. The caller has
 * already checked that `alg` is allowed; an unknown `alg`, a malformed
 * signature or a key of another type or curve gives `false`, never a
 * rejection (with a `null` digest, node:crypto would otherwise verify an
 * RSA key's PKCS#1 signature as "EdDSA").
 */
export async function verifyJwsSignature(alg: string, key: KeyObject, signingInput: Buffer, signature: Buffer): Promise<boolean> {
  const scheme = Object.hasOwn(SCHEMES, alg) ? SCHEMES[alg as SupportedAlgorithm] : undefined;
  if (scheme === undefined || key.asymmetricKeyType !== scheme.keyType) return false;
  if (scheme.namedCurve !== undefined && key.asymmetricKeyDetails?.namedCurve !== scheme.namedCurve) return false;
  if (scheme.ecdsaSignatureBytes !== undefined && signature.length !== scheme.ecdsaSignatureBytes) return false;
  const input: VerifyKeyObjectInput | KeyObject =
    scheme.pssSaltLength !== undefined
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.pssSaltLength }
      : scheme.ecdsaSignatureBytes !== undefined
        ? { key, dsaEncoding: "ieee-p1363" }
        : key;
  return new Promise((resolve) => {
    try {
      verify(scheme.hash, signingInput, input, signature, (error, valid) => resolve(!error && valid === true));
    } catch {
      resolve(false);
    }
  });
}
