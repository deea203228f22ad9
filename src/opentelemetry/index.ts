/**
 * `ioserver-oidc/opentelemetry`: the package's diagnostics channels as
 * OpenTelemetry metrics. It needs nothing at run time but the `Meter` the
 * host passes (`@opentelemetry/api` is an optional peer dependency, for
 * the types); the main entry never loads it.
 */
export { registerOidcMetrics, OIDC_METRICS, OIDC_METRIC_ATTRIBUTES } from "./registerOidcMetrics.js";
