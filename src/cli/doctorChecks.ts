import type { JWK } from "jose";
import { OIDC_ENV_VARS, type ResolvedOidcConfig } from "../config.js";
import { OidcError } from "../errors.js";
import { isUsablePublicKey, jwkMatchesAlgorithm } from "../services/keys/jwkAlgorithms.js";
import { importPublicKey } from "../services/keys/importPublicKey.js";
import type { CliEnvironment } from "./environment.js";
import { show } from "./format.js";
import { unknownVariables } from "./settings.js";

/** `problem`: tokens will be refused (doctor exits 1); `warning`: may be; `ok`: checked and fine. */
export interface Finding {
  readonly level: "problem" | "warning" | "ok";
  readonly text: string;
}

const problem = (text: string): Finding => ({ level: "problem", text });
const warning = (text: string): Finding => ({ level: "warning", text });
const ok = (text: string): Finding => ({ level: "ok", text });

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);
const isLoopback = (host: string): boolean => LOOPBACK.has(host) || /^127(?:\.\d{1,3}){3}$/.test(host);
const urlOf = (value: string): URL | undefined => {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
};

/** What the settings alone tell: issuer form, insecure transport, typos. */
export function settingFindings(config: ResolvedOidcConfig, environment: CliEnvironment): Finding[] {
  const findings: Finding[] = [];
  const issuerSet = environment.sourceOf(OIDC_ENV_VARS.issuer) !== undefined;
  for (const name of unknownVariables(environment)) findings.push(warning(`${name} is set but ioserver-oidc reads no such variable (a typo?)`));

  if (issuerSet && /\/$/.test(config.issuer)) {
    findings.push(warning(`${OIDC_ENV_VARS.issuer} ${show(config.issuer)} ends with "/": iss is compared exactly, and most issuers (BetterAuth among them) write none`));
  }
  const base = urlOf(config.authServiceUrl);
  const issuer = urlOf(config.issuer);
  const jwks = config.jwksUri === undefined ? undefined : urlOf(config.jwksUri);
  if (base && issuer && base.hostname !== issuer.hostname && isLoopback(base.hostname) && isLoopback(issuer.hostname)) {
    findings.push(
      warning(`${OIDC_ENV_VARS.issuer} names ${issuer.hostname}, ${OIDC_ENV_VARS.authServiceUrl} ${base.hostname}: the same machine, but iss is compared as a string, so the issuer must write exactly ${show(config.issuer)}`),
    );
  }
  if (base && /\/api\/auth\/?$/.test(base.pathname)) {
    findings.push(
      warning(`${OIDC_ENV_VARS.authServiceUrl} ends with /api/auth: it is the auth service's base URL (BetterAuth's baseURL), the package adds /api/auth/jwks itself, and BetterAuth's iss has no /api/auth`),
    );
  }
  if (!/^https?:/i.test(config.issuer)) findings.push(warning(`${OIDC_ENV_VARS.issuer} ${show(config.issuer)} is not a URL: fine if the issuer really writes that iss`));
  for (const [variable, url] of [[OIDC_ENV_VARS.jwksUri, jwks], [OIDC_ENV_VARS.issuer, issuer]] as const) {
    if (url?.protocol !== "http:") continue;
    if (isLoopback(url.hostname)) findings.push(ok(`${variable} uses http: on a loopback host (fine for development; use https: anywhere else)`));
    else findings.push(warning(`${variable} uses http: off loopback (${url.hostname}), allowed by ${OIDC_ENV_VARS.allowInsecureHttp}: keys and tokens travel unprotected`));
  }
  if (config.clockToleranceSeconds === 0) findings.push(warning(`${OIDC_ENV_VARS.clockToleranceSeconds} is 0: a clock a second apart from the issuer's refuses fresh tokens`));
  return findings;
}

/** One published key as doctor lists it. */
export interface KeyReport {
  readonly jwk: JWK;
  readonly size: string;
  /** The allowed algorithms this key can verify. */
  readonly algorithms: string[];
  /** Why the verifier never uses it, if it does not. */
  readonly unusable: string | undefined;
}

/** The size of a public key: RSA modulus bits, or the curve. */
function sizeOf(jwk: JWK): string {
  if (jwk.kty === "RSA" && typeof jwk.n === "string") return `${Buffer.from(jwk.n, "base64url").length * 8} bits`;
  return typeof jwk.crv === "string" ? jwk.crv : "-";
}

export function reportKey(jwk: JWK, config: ResolvedOidcConfig): KeyReport {
  let unusable: string | undefined;
  if (!isUsablePublicKey(jwk)) unusable = jwk.d !== undefined ? "a PRIVATE key (never used; remove it from the JWKS!)" : "not a public signature key (kty, use or key_ops)";
  else {
    const imported = importPublicKey(jwk, "JWKS key");
    if (imported instanceof OidcError) unusable = imported.reason?.replace(/^JWKS key unusable: /, "");
  }
  const algorithms = unusable ? [] : config.algorithms.filter((alg) => jwkMatchesAlgorithm(jwk, alg));
  return { jwk, size: typeof jwk === "object" && jwk !== null ? sizeOf(jwk) : "-", algorithms, unusable };
}

/** What the published keys mean for the tokens the settings accept. */
export function keyFindings(reports: readonly KeyReport[], config: ResolvedOidcConfig): Finding[] {
  const findings: Finding[] = [];
  const algList = `${OIDC_ENV_VARS.algorithms} (${config.algorithms.join(",")})`;
  const usable = reports.filter((r) => r.unusable === undefined);
  const name = (r: KeyReport): string => (typeof r.jwk.kid === "string" ? `key ${show(r.jwk.kid)}` : "a key without kid");
  for (const r of reports) if (r.unusable !== undefined) findings.push((r.jwk.d !== undefined ? problem : warning)(`${name(r)} is ignored: ${r.unusable}`));
  if (usable.length > 0 && usable.every((r) => r.algorithms.length === 0)) {
    const published = [...new Set(usable.map((r) => r.jwk.alg ?? `${r.jwk.kty}${r.jwk.crv ? ` ${r.jwk.crv}` : ""}`))].join(", ");
    findings.push(problem(`${algList} excludes every published key (${published}): every token will be refused; add the issuer's algorithm`));
  } else {
    for (const r of usable) {
      if (r.algorithms.length === 0) findings.push(warning(`${name(r)} (${r.jwk.alg ?? r.jwk.kty}) verifies no algorithm of ${algList}: tokens it signs are refused`));
    }
  }
  const kids = usable.map((r) => r.jwk.kid).filter((kid): kid is string => typeof kid === "string");
  for (const kid of new Set(kids.filter((kid, i) => kids.indexOf(kid) !== i))) findings.push(warning(`kid ${show(kid)} is published more than once`));
  const withoutKid = usable.filter((r) => typeof r.jwk.kid !== "string");
  if (withoutKid.length > 0) {
    findings.push(
      warning(`${plural(withoutKid.length)} without kid: used only for tokens without kid, and only while it is the one key of the token's algorithm (tokens that carry a kid never match it)`),
    );
  }
  if (findings.every((f) => f.level !== "problem") && usable.some((r) => r.algorithms.length > 0)) {
    findings.push(ok(`${plural(usable.filter((r) => r.algorithms.length > 0).length)} can verify tokens the settings accept`));
  }
  return findings;
}

const plural = (count: number): string => (count === 1 ? "1 key" : `${count} keys`);

/**
 * What discovery (`discoverIssuer`, the verifier's own) tells: required
 * with `AUTH_SERVICE_DISCOVERY=true` and no JWKS URI, a failure refuses
 * every token; otherwise it is information, but a document naming another
 * issuer still says `AUTH_SERVICE_ISSUER` is probably wrong.
 */
export function discoveryFindings(config: ResolvedOidcConfig, outcome: { jwksUri?: string; error?: string }): Finding[] {
  const required = config.discovery && config.jwksUri === undefined;
  if (outcome.error !== undefined) {
    if (required) return [problem(`discovery of ${show(config.issuer)} failed: ${outcome.error}; every request is answered 503 ERR_AUTH_UNAVAILABLE`)];
    return /names issuer/.test(outcome.error) ? [warning(`the issuer's discovery document ${outcome.error.replace(/^[^:]*: /, "")}: is ${OIDC_ENV_VARS.issuer} right?`)] : [];
  }
  if (config.jwksUri !== undefined && outcome.jwksUri !== config.jwksUri) {
    return [warning(`the discovery document's jwks_uri is ${show(outcome.jwksUri)}, ${OIDC_ENV_VARS.jwksUri} is ${show(config.jwksUri)}`)];
  }
  return [ok(`discovery: the document names ${OIDC_ENV_VARS.issuer} and its jwks_uri ${show(outcome.jwksUri)}`)];
}
