import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { Meter } from "@opentelemetry/api";
import { OIDC_CHANNELS, type AuthenticatedMessage, type JwksFetchMessage, type RefusedMessage, type RevocationMessage, type TokenCacheMessage } from "../services/diagnostics.js";

/** The instruments `registerOidcMetrics` creates, by name (OpenTelemetry semantic-convention style). */
export const OIDC_METRICS = Object.freeze({
  /** Counter `{authentication}`: requests, handshakes and `auth:refresh`es authenticated. */
  authentications: "ioserver_oidc.authentications",
  /** Counter `{refusal}`: requests, handshakes, events and `auth:refresh`es refused. */
  refusals: "ioserver_oidc.refusals",
  /** Histogram `s`: how long each JWKS fetch took, successful or not. */
  jwksFetchDuration: "ioserver_oidc.jwks.fetch.duration",
  /** Counter `{lookup}`: verified-token cache lookups. */
  tokenCacheLookups: "ioserver_oidc.token_cache.lookups",
  /** Counter `{revocation}`: revocations this node's store recorded (with Redis: those made on other nodes too). */
  revocations: "ioserver_oidc.revocations",
});

/** The attributes the instruments carry. Each takes a few fixed values (the JWKS URI: one per configuration). */
export const OIDC_METRIC_ATTRIBUTES = Object.freeze({
  /** `"http"` or `"socket"`. */
  transport: "ioserver_oidc.transport",
  /** On authentications: whether the verified-token cache answered (boolean). */
  cached: "ioserver_oidc.cached",
  /** On refusals: the `OidcError` code (`ERR_AUTH_TOKEN_INVALID`, …). */
  errorType: "error.type",
  /** On refusals: the refusal kind (`missing`, `invalid`, `forbidden`, … see `REFUSAL_KINDS`). */
  refusalKind: "ioserver_oidc.refusal.kind",
  /** On JWKS fetches: the JWKS URI. */
  url: "url.full",
  /** On JWKS fetches: `"success"` or `"failure"`. */
  outcome: "ioserver_oidc.outcome",
  /** On cache lookups: `"hit"` or `"miss"`. */
  cacheResult: "ioserver_oidc.token_cache.result",
  /** On revocations: what it names, `"jti"`, `"sid"` or `"sub"`. */
  revocationKind: "ioserver_oidc.revocation.kind",
});

/** Bucket bounds for the JWKS fetch duration, in seconds (those of OpenTelemetry's HTTP duration metrics). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/**
 * Records the package's diagnostics channels (`OIDC_CHANNELS`) as metrics
 * on `meter`, for every container in the process, until the returned
 * function is called. Register once per meter: twice counts twice.
 *
 * @example
 * ```ts
 * import { metrics } from "@opentelemetry/api";
 * import { registerOidcMetrics } from "ioserver-oidc/opentelemetry";
 * const stop = registerOidcMetrics(metrics.getMeter("my-app"));
 * ```
 */
export function registerOidcMetrics(meter: Meter): () => void {
  const A = OIDC_METRIC_ATTRIBUTES;
  const authentications = meter.createCounter(OIDC_METRICS.authentications, { unit: "{authentication}", description: "Requests, Socket.IO handshakes and auth:refresh events authenticated" });
  const refusals = meter.createCounter(OIDC_METRICS.refusals, { unit: "{refusal}", description: "Requests, Socket.IO handshakes, events and auth:refresh events refused" });
  const jwksFetches = meter.createHistogram(OIDC_METRICS.jwksFetchDuration, {
    unit: "s",
    description: "Duration of JWKS fetches, successful or not",
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  const lookups = meter.createCounter(OIDC_METRICS.tokenCacheLookups, { unit: "{lookup}", description: "Verified-token cache lookups" });
  const revocations = meter.createCounter(OIDC_METRICS.revocations, { unit: "{revocation}", description: "Revocations recorded by this node's revocation store" });

  const listeners: [string, (message: unknown) => void][] = [
    [OIDC_CHANNELS.authenticated, (m) => {
      const { transport, cached } = m as AuthenticatedMessage;
      authentications.add(1, { [A.transport]: transport, [A.cached]: cached });
    }],
    [OIDC_CHANNELS.refused, (m) => {
      const { transport, code, kind } = m as RefusedMessage;
      refusals.add(1, { [A.transport]: transport, [A.errorType]: code, [A.refusalKind]: kind });
    }],
    [OIDC_CHANNELS.jwksFetch, (m) => {
      const { uri, outcome, durationMs } = m as JwksFetchMessage;
      jwksFetches.record(durationMs / 1000, { [A.url]: uri, [A.outcome]: outcome });
    }],
    [OIDC_CHANNELS.tokenCache, (m) => {
      lookups.add(1, { [A.cacheResult]: (m as TokenCacheMessage).hit ? "hit" : "miss" });
    }],
    [OIDC_CHANNELS.revocation, (m) => {
      revocations.add(1, { [A.revocationKind]: (m as RevocationMessage).kind });
    }],
  ];
  for (const [name, listener] of listeners) subscribe(name, listener);
  let subscribed = true;
  return () => {
    if (!subscribed) return;
    subscribed = false;
    for (const [name, listener] of listeners) unsubscribe(name, listener);
  };
}
