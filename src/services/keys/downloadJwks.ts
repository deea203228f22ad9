import type { JWK } from "jose";
import { downloadJson } from "./downloadJson.js";
import { isUsablePublicKey } from "./jwkAlgorithms.js";

/** A JWKS larger than this is refused: real ones are a few KiB. */
const MAX_JWKS_BYTES = 512 * 1024;

/**
 * GETs a JWKS and returns its usable public signature keys. Rejects on
 * timeout, redirects (keys come from the configured URI only), non-200,
 * oversized or non-JSON bodies, and sets without a usable key.
 */
export async function downloadJwks(uri: string, timeoutMs: number): Promise<JWK[]> {
  const parsed = await downloadJson(uri, timeoutMs, MAX_JWKS_BYTES);
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error('body has no "keys" array');
  const usable = (keys as JWK[]).filter(isUsablePublicKey);
  if (usable.length === 0) throw new Error("no usable public signature key in the set");
  return usable;
}
