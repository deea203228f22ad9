import { createHash } from "node:crypto";
import type { JWK } from "jose";

/** RFC 7638 §3.2: the required members of each key type, in lexicographic order. */
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ["crv", "kty", "x", "y"],
  OKP: ["crv", "kty", "x"],
  RSA: ["e", "kty", "n"],
};

/**
 * The RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key: what
 * a DPoP-bound token's `cnf.jkt` names (RFC 9449 §6.1). Only the required
 * members count, so `alg`, `use` or `kid` do not change it. Returns
 * `undefined` for another key type or a required member that is not a
 * string.
 */
export function jwkThumbprint(jwk: JWK): string | undefined {
  const members = typeof jwk.kty === "string" && Object.hasOwn(REQUIRED_MEMBERS, jwk.kty) ? REQUIRED_MEMBERS[jwk.kty] : undefined;
  if (members === undefined) return undefined;
  const record = jwk as Record<string, unknown>;
  const parts: string[] = [];
  for (const name of members) {
    const value = record[name];
    if (typeof value !== "string") return undefined;
    // JSON.stringify gives the escaping RFC 7638 §3.3 asks for; no whitespace between members.
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(value)}`);
  }
  return createHash("sha256").update(`{${parts.join(",")}}`).digest("base64url");
}
