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
  const usable = publishedKeys(await fetchJwksDocument(uri, timeoutMs)).filter(isUsablePublicKey);
  if (usable.length === 0) throw new Error("no usable public signature key in the set");
  return usable;
}

/** The JWKS document as fetched for `downloadJwks` (same bounds), before any key is looked at: `ioserver-oidc doctor` lists them all. */
export function fetchJwksDocument(uri: string, timeoutMs: number): Promise<unknown> {
  return downloadJson(uri, timeoutMs, MAX_JWKS_BYTES);
}

/** Every entry of a JWKS document's `keys` array, usable or not. */
export function publishedKeys(document: unknown): JWK[] {
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error('body has no "keys" array');
  return keys as JWK[];
}
