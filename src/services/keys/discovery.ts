import { isLoopback } from "../../config.js";
import { downloadJson, statusOf } from "./downloadJson.js";

/** A metadata document larger than this is refused: real ones are a few KiB. */
const MAX_METADATA_BYTES = 64 * 1024;

/** What the package takes from an issuer's metadata, and where it was found. */
export interface DiscoveredMetadata {
  readonly jwksUri: string;
  /** The document's URL (for logs). */
  readonly documentUrl: string;
}

export interface DiscoveryOptions {
  timeoutMs: number;
  /** Allow an `http:` `jwks_uri` on non-loopback hosts (`AUTH_SERVICE_ALLOW_INSECURE_HTTP`). */
  allowInsecureHttp: boolean;
}

/**
 * Where an issuer's metadata may be, in the order they are tried:
 * OpenID Connect Discovery 1.0 §4 (`<issuer>/.well-known/openid-configuration`),
 * then RFC 8414 §3.1 (the well-known segment inserted between the host and
 * the issuer's path). A terminating "/" of the path is removed first, as
 * both require.
 *
 * @example
 * ```ts
 * discoveryUrls("https://auth.example.com/api/auth");
 * // ["https://auth.example.com/api/auth/.well-known/openid-configuration",
 * //  "https://auth.example.com/.well-known/oauth-authorization-server/api/auth"]
 * ```
 */
export function discoveryUrls(issuer: string): [string, string] {
  const url = new URL(issuer);
  if (url.search !== "" || url.hash !== "") throw new Error(`issuer "${issuer}" has a query or fragment: it cannot be discovered (RFC 8414 §2)`);
  const path = url.pathname.replace(/\/+$/, "");
  return [`${url.origin}${path}/.well-known/openid-configuration`, `${url.origin}/.well-known/oauth-authorization-server${path}`];
}

/**
 * Fetches the issuer's metadata and returns its `jwks_uri`. The RFC 8414
 * location is only tried when the OpenID one answers a 4xx status (it is
 * not there); a timeout, a 5xx or a redirect fails at once. The document's
 * `issuer` must equal `issuer` exactly (RFC 8414 §3.3, OIDC Discovery §4.3)
 * and its `jwks_uri` must be an https URL (http on loopback hosts).
 * Rejects with an `Error` whose message says why, naming both issuer values
 * on a mismatch.
 */
export async function discoverIssuer(issuer: string, options: DiscoveryOptions): Promise<DiscoveredMetadata> {
  const [openIdUrl, oauthUrl] = discoveryUrls(issuer);
  let document: unknown;
  let documentUrl = openIdUrl;
  try {
    document = await downloadJson(openIdUrl, options.timeoutMs, MAX_METADATA_BYTES);
  } catch (error) {
    const status = statusOf(error);
    if (status === undefined || status < 400 || status >= 500) throw new Error(`${openIdUrl}: ${(error as Error).message}`, { cause: error });
    documentUrl = oauthUrl;
    try {
      document = await downloadJson(oauthUrl, options.timeoutMs, MAX_METADATA_BYTES);
    } catch (fallbackError) {
      throw new Error(`${openIdUrl}: ${(error as Error).message}; ${oauthUrl}: ${(fallbackError as Error).message}`, { cause: fallbackError });
    }
  }
  return { jwksUri: readMetadata(document, issuer, documentUrl, options), documentUrl };
}

/** The checked `jwks_uri` of a metadata document. */
function readMetadata(document: unknown, issuer: string, documentUrl: string, options: DiscoveryOptions): string {
  if (document === null || typeof document !== "object" || Array.isArray(document)) throw new Error(`${documentUrl}: the document is not a JSON object`);
  const { issuer: named, jwks_uri: jwksUri } = document as Record<string, unknown>;
  if (named !== issuer) {
    throw new Error(`${documentUrl}: the document names issuer ${JSON.stringify(named)} but the expected issuer is "${issuer}" (they must be equal)`);
  }
  if (typeof jwksUri !== "string" || jwksUri === "") throw new Error(`${documentUrl}: the document has no "jwks_uri"`);
  let parsed: URL;
  try {
    parsed = new URL(jwksUri);
  } catch {
    throw new Error(`${documentUrl}: "jwks_uri" is not an absolute URL`);
  }
  const secure = parsed.protocol === "https:" || (parsed.protocol === "http:" && (options.allowInsecureHttp || isLoopback(parsed.hostname)));
  if (!secure) throw new Error(`${documentUrl}: "jwks_uri" ${JSON.stringify(jwksUri)} must use https: (http: only on loopback hosts)`);
  return jwksUri;
}
