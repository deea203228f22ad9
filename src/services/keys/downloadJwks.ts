import type { JWK } from "jose";
import { isUsablePublicKey } from "./jwkAlgorithms.js";

/** A JWKS larger than this is refused: real ones are a few KiB. */
const MAX_JWKS_BYTES = 512 * 1024;

/**
 * GETs a JWKS and returns its usable public signature keys. Rejects on
 * timeout, redirects (keys come from the configured URI only), non-200,
 * oversized or non-JSON bodies, and sets without a usable key.
 */
export async function downloadJwks(uri: string, timeoutMs: number): Promise<JWK[]> {
  const usable = publishedKeys(await fetchJsonDocument(uri, timeoutMs)).filter(isUsablePublicKey);
  if (usable.length === 0) throw new Error("no usable public signature key in the set");
  return usable;
}

/** Every entry of a JWKS document's `keys` array, usable or not (`ioserver-oidc doctor` lists them all). */
export function publishedKeys(document: unknown): JWK[] {
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error('body has no "keys" array');
  return keys as JWK[];
}

/**
 * GETs a JSON document the way the JWKS is fetched: within `timeoutMs`,
 * without following redirects, 200 only, at most 512 KiB. Rejects with the
 * reason (`HTTP 404`, `timed out after 5000 ms`, `request failed: ECONNREFUSED`, ...).
 */
export async function fetchJsonDocument(uri: string, timeoutMs: number): Promise<unknown> {
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(uri, { redirect: "manual", signal, headers: { accept: "application/json" } });
  } catch (error) {
    throw new Error(signal.aborted ? `timed out after ${timeoutMs} ms` : `request failed: ${describe(error)}`, { cause: error });
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    const redirect = response.status >= 300 && response.status < 400 ? " (redirects are not followed)" : "";
    throw new Error(`HTTP ${response.status}${redirect}`);
  }
  const declared = Number(response.headers.get("content-length"));
  if (declared > MAX_JWKS_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`body larger than ${MAX_JWKS_BYTES} bytes`);
  }
  const body = await readLimited(response, signal, timeoutMs);
  try {
    return JSON.parse(body);
  } catch {
    throw new Error("body is not JSON");
  }
}

async function readLimited(response: Response, signal: AbortSignal, timeoutMs: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_JWKS_BYTES) {
        await reader.cancel().catch(() => undefined);
        throw new Error(`body larger than ${MAX_JWKS_BYTES} bytes`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (signal.aborted) throw new Error(`timed out after ${timeoutMs} ms`, { cause: error });
    throw error;
  }
  return Buffer.concat(chunks).toString("utf8");
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
