import type { ResolvedOidcConfig, SupportedAlgorithm } from "../../config.js";

/**
 * The trusted issuers of a configuration, each as a complete config of its
 * own (a "view"): the top-level settings with that issuer's `issuer`,
 * `jwksUri`/`discovery`, `audience`, `algorithms` and `tokenTypes`. The
 * first view is `config` itself (the primary issuer), so a single-issuer
 * configuration is a list of one and everything keyed by config (key sets,
 * the verified-token cache) behaves as before. Views are made once per
 * config object.
 */
export function trustedIssuers(config: ResolvedOidcConfig): readonly ResolvedOidcConfig[] {
  return viewsOf(config).list;
}

/**
 * The view whose issuer is exactly `iss` (no normalisation: RFC 8725 §3.8),
 * or `undefined`. `iss` is read from a token before verification: it only
 * picks among the configured issuers, and no URL is ever derived from it.
 */
export function issuerView(config: ResolvedOidcConfig, iss: unknown): ResolvedOidcConfig | undefined {
  return typeof iss === "string" ? viewsOf(config).byIssuer.get(iss) : undefined;
}

/**
 * The payload of a compact JWS and its `iss`, read WITHOUT verification
 * (only to choose which issuer's keys and rules to verify it with).
 * `payload` is `undefined` when it is not a JSON object; `iss` may be of
 * any type.
 */
export function unverifiedIssuer(encodedPayload: string): { payload?: Record<string, unknown>; iss?: unknown } {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(encodedPayload, "base64url").toString("utf8"));
  } catch {
    return {};
  }
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) return {};
  return { payload: payload as Record<string, unknown>, iss: (payload as { iss?: unknown }).iss };
}

interface Views {
  readonly list: readonly ResolvedOidcConfig[];
  readonly byIssuer: ReadonlyMap<string, ResolvedOidcConfig>;
}

const memo = new WeakMap<ResolvedOidcConfig, Views>();

function viewsOf(config: ResolvedOidcConfig): Views {
  let views = memo.get(config);
  if (views === undefined) {
    const list = [
      config,
      ...(config.issuers ?? []).map((entry) =>
        Object.freeze({
          ...config,
          issuer: entry.issuer,
          jwksUri: entry.jwksUri,
          discovery: entry.discovery,
          audience: entry.audience,
          algorithms: [...entry.algorithms] as SupportedAlgorithm[],
          tokenTypes: [...entry.tokenTypes],
          issuers: [],
        }),
      ),
    ];
    views = { list, byIssuer: new Map(list.map((view) => [view.issuer, view])) };
    memo.set(config, views);
  }
  return views;
}
