import { performance } from "node:perf_hooks";
import type { JWK } from "jose";
import { OIDC_ENV_VARS, readOidcConfigFromEnv, type ResolvedOidcConfig } from "../config.js";
import { discoverIssuer } from "../services/keys/discovery.js";
import { fetchJwksDocument, publishedKeys } from "../services/keys/downloadJwks.js";
import { trustedIssuers } from "../services/keys/trustedIssuers.js";
import { discoveryFindings, keyFindings, reportKey, settingFindings, type Finding } from "./doctorChecks.js";
import type { CliEnvironment } from "./environment.js";
import { plural, show, showSetting, table } from "./format.js";
import { OTHER_VARIABLES, settingRows } from "./settings.js";

export const EXIT_HEALTHY = 0;
export const EXIT_PROBLEM = 1;

const MARK = { problem: "[problem]", warning: "[warning]", ok: "[ok]" } as const;

async function timed<T>(work: () => Promise<T>): Promise<{ value?: T; error?: string; ms: number }> {
  const started = performance.now();
  try {
    const value = await work();
    return { value, ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error), ms: Math.round(performance.now() - started) };
  }
}

/**
 * `ioserver-oidc doctor`: prints every resolved setting and where it came
 * from, fetches the discovery document and the JWKS the way the verifier
 * does, lists the published keys, and reports what will refuse tokens.
 * Exit 0 without a problem, 1 with one.
 */
export async function doctor(environment: CliEnvironment, print: (line: string) => void): Promise<number> {
  print(`ioserver-oidc doctor (settings from ${environment.envFile ? `the environment and ${environment.envFile}` : "the environment"})`);
  print("");
  let config: ResolvedOidcConfig;
  try {
    config = readOidcConfigFromEnv(environment.env);
  } catch (error) {
    print("Settings that are set:");
    const set = [...Object.values(OIDC_ENV_VARS), ...OTHER_VARIABLES].filter((v) => environment.sourceOf(v) !== undefined);
    print(set.length === 0 ? "  (none)" : table(set.map((v) => [v, show(environment.env[v]), environment.sourceOf(v) ?? ""])));
    print("");
    return summary([{ level: "problem", text: `${(error as Error).message}: every request is refused with 500 ERR_AUTH_MISCONFIGURED` }], print);
  }

  print("Settings:");
  const rows = settingRows(config, environment).map((r) => [r.variable, showSetting(r.value), r.source]);
  const level = environment.env.AUTH_SERVICE_LOG_LEVEL?.trim();
  rows.push(["AUTH_SERVICE_LOG_LEVEL", level || "info", level ? (environment.sourceOf("AUTH_SERVICE_LOG_LEVEL") ?? "env") : "default"]);
  print(table(rows));
  print("");

  const findings = [...settingFindings(config, environment)];
  // Every trusted issuer (AUTH_SERVICE_ISSUERS adds to the primary one) with its own discovery and keys.
  for (const issuer of trustedIssuers(config)) {
    const discovery = await checkDiscovery(issuer, print);
    findings.push(...discovery.findings);
    const jwksUri = issuer.jwksUri ?? discovery.jwksUri;
    if (jwksUri !== undefined) findings.push(...(await checkJwks(issuer, jwksUri, print)));
  }
  return summary(findings, print);
}

/** Discovery as the verifier does it (both well-known locations, issuer and jwks_uri checked); returns the discovered JWKS URI. */
async function checkDiscovery(config: ResolvedOidcConfig, print: (line: string) => void): Promise<{ findings: Finding[]; jwksUri?: string }> {
  if (!/^https?:/i.test(config.issuer)) return { findings: [] };
  const required = config.discovery && config.jwksUri === undefined;
  print(`Discovery of ${config.issuer}${required ? "" : " (for information: AUTH_SERVICE_DISCOVERY is off or a JWKS URI is set)"}`);
  const result = await timed(() => discoverIssuer(config.issuer, { timeoutMs: config.jwksTimeoutSeconds * 1000, allowInsecureHttp: config.allowInsecureHttp }));
  if (result.value !== undefined) print(`  ${result.value.documentUrl} in ${result.ms} ms: jwks_uri ${show(result.value.jwksUri)}`);
  else {
    print(`  ${result.error ?? "failed"} (after ${result.ms} ms)`);
    if (!required) print("  (fine unless you turn discovery on: BetterAuth's jwt plugin publishes no discovery document)");
  }
  print("");
  return { findings: discoveryFindings(config, { jwksUri: result.value?.jwksUri, error: result.error }), jwksUri: result.value?.jwksUri };
}

async function checkJwks(config: ResolvedOidcConfig, jwksUri: string, print: (line: string) => void): Promise<Finding[]> {
  const timeoutMs = config.jwksTimeoutSeconds * 1000;
  print(`JWKS of ${config.issuer}: GET ${jwksUri}`);
  const result = await timed(async () => publishedKeys(await fetchJwksDocument(jwksUri, timeoutMs)));
  if (result.error !== undefined || result.value === undefined) {
    print(`  ${result.error ?? "no keys"} after ${result.ms} ms`);
    print("");
    const hint = /HTTP 404/.test(result.error ?? "") ? " (is AUTH_SERVICE_JWKS_URI right? BetterAuth serves <baseURL>/api/auth/jwks with its jwt plugin)" : "";
    return [{ level: "problem", text: `the JWKS cannot be fetched: ${result.error ?? "no keys"}${hint}; every request is answered 503 ERR_AUTH_UNAVAILABLE` }];
  }
  const keys: JWK[] = result.value;
  print(`  200 in ${result.ms} ms, ${plural(keys.length, "key")}`);
  const reports = keys.map((jwk) => reportKey(jwk, config));
  if (reports.length > 0) {
    const rows = [["kid", "kty", "alg", "size", "use", "verifies"]];
    for (const r of reports) {
      rows.push([
        typeof r.jwk.kid === "string" ? show(r.jwk.kid) : "(none)",
        String(r.jwk.kty ?? "-"),
        String(r.jwk.alg ?? "-"),
        r.size,
        String(r.jwk.use ?? "-"),
        r.unusable !== undefined ? "ignored" : r.algorithms.length > 0 ? r.algorithms.join(",") : "nothing allowed",
      ]);
    }
    print(table(rows));
  }
  print("");
  const findings = keyFindings(reports, config);
  if (keys.length === 0) findings.push({ level: "problem", text: "the JWKS publishes no key: every token will be refused" });
  if (result.ms > timeoutMs / 2) findings.push({ level: "warning", text: `the JWKS took ${result.ms} ms, more than half of ${OIDC_ENV_VARS.jwksTimeoutSeconds} (${timeoutMs} ms)` });
  return findings;
}

function summary(findings: readonly Finding[], print: (line: string) => void): number {
  print("Findings:");
  for (const finding of findings) print(`  ${MARK[finding.level]} ${finding.text}`);
  if (findings.length === 0) print("  (none)");
  const problems = findings.filter((f) => f.level === "problem").length;
  const warnings = findings.filter((f) => f.level === "warning").length;
  print("");
  print(
    problems > 0
      ? `${plural(problems, "problem")}, ${plural(warnings, "warning")}: tokens will be refused. Fix the problems above, then run doctor again.`
      : `No problem found${warnings > 0 ? ` (${plural(warnings, "warning")})` : ""}. To see why one token is refused: pbpaste | npx ioserver-oidc explain`,
  );
  return problems > 0 ? EXIT_PROBLEM : EXIT_HEALTHY;
}
