import { createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";
import { errors, type JWK } from "jose";
import type { OidcError } from "../../errors.js";
import { tokenFault } from "../verification/tokenFault.js";

/** RS* and PS* keys shorter than this are refused (as jose and RFC 7518 §3.3 require). */
const MIN_RSA_BITS = 2048;

/**
 * A public JWK as a `node:crypto` `KeyObject`, or the `ERR_AUTH_TOKEN_INVALID`
 * refusal (its cause jose's `JWKInvalid`) saying why it cannot be used (returned, not thrown, so a caller
 * can remember the outcome). `what` names the key in that reason ("JWKS
 * key", "DPoP proof key"). Used for the issuer's keys and for the keys DPoP
 * proofs carry, so both meet the same rules.
 */
export function importPublicKey(jwk: JWK, what: string): KeyObject | OidcError {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: "jwk" });
  } catch (error) {
    return tokenFault(new errors.JWKInvalid(`${what} unusable`), `${what} unusable: ${(error as Error).message}`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== undefined && bits < MIN_RSA_BITS) {
    const reason = `${what} unusable: RSA modulus shorter than ${MIN_RSA_BITS} bits`;
    return tokenFault(new errors.JWKInvalid(reason), reason);
  }
  return key;
}
