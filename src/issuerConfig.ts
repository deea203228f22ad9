import { ERR_AUTH_MISCONFIGURED, OidcError } from "./errors.js";

/**
 * One more trusted issuer, as a host writes it in `AUTH_SERVICE_ISSUERS`
 * (a JSON array) or in `OidcConfig.issuers`. Only `issuer` is required;
 * the rest default to the top-level settings (`audience`, `algorithms`,
 * `tokenTypes`, `discovery`).
 *
 * @example
 * ```ts
 * const partner: TrustedIssuerConfig = { issuer: "https://login.partner.example", discovery: true, audience: "api://notes" };
 * ```
 */
export interface TrustedIssuerConfig {
  /** The exact `iss` its tokens carry. */
  issuer: string;
  /** Its JWKS; wins over discovery when both are given. */
  jwksUri?: string;
  /** Take `jwks_uri` from its discovery document (see docs/issuers.md). */
  discovery?: boolean;
  /** Expected `aud` of its tokens. */
  audience?: string;
  /** Accepted `alg` values for its tokens. */
  algorithms?: readonly string[];
  /** Required header `typ` values for its tokens; empty = any. */
  tokenTypes?: readonly string[];
}

/** A trusted issuer with every field filled in (what `ResolvedOidcConfig.issuers` holds). */
export interface ResolvedTrustedIssuer {
  readonly issuer: string;
  /** `undefined` when discovery supplies it. */
  readonly jwksUri: string | undefined;
  readonly discovery: boolean;
  readonly audience: string;
  readonly algorithms: readonly string[];
  readonly tokenTypes: readonly string[];
}

/** What the entries default to and how their values are checked: the top-level settings' rules. */
export interface IssuerListContext {
  /** Name of the setting in errors: `AUTH_SERVICE_ISSUERS` or `issuers`. */
  name: string;
  /** Issuers already trusted (the primary one): an entry may not repeat them. */
  taken: readonly string[];
  defaults: { audience: string; algorithms: readonly string[]; tokenTypes: readonly string[]; discovery: boolean };
  /** Checks a URL the way the top-level `AUTH_SERVICE_JWKS_URI`/`AUTH_SERVICE_ISSUER` are checked; throws naming `name`. */
  checkUrl(name: string, value: string): void;
  /** Checks an algorithm list the way `AUTH_SERVICE_ALGORITHMS` is checked; throws naming `name`. */
  checkAlgorithms(name: string, value: unknown): void;
}

const KNOWN_FIELDS = new Set(["issuer", "jwksUri", "discovery", "audience", "algorithms", "tokenTypes"]);

/** Throws the `ERR_AUTH_MISCONFIGURED` error that names the setting (for src/config.ts too). */
export const fail = (name: string, why: string): never => {
  throw new OidcError(ERR_AUTH_MISCONFIGURED, { message: `Invalid OIDC configuration: ${name} ${why}`, reason: `${name} ${why}` });
};

/** Only an http(s) issuer without query or fragment has a discovery document (a well-known path is appended to it). */
export const discoverable = (issuer: string): boolean => /^https?:[^?#]*$/i.test(issuer);

/** `AUTH_SERVICE_ISSUERS`: a JSON array of `TrustedIssuerConfig` objects. */
export function parseIssuersJson(raw: string, name: string): TrustedIssuerConfig[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    return fail(name, `must be a JSON array of issuer objects (${(error as Error).message})`);
  }
  return parsed as TrustedIssuerConfig[];
}

/**
 * Completes and checks the extra trusted issuers. Errors name the entry
 * and field (`AUTH_SERVICE_ISSUERS[1].jwksUri`). Unknown fields are
 * refused, so a misspelt `jwks_uri` cannot silently fall back to a default.
 */
export function resolveIssuerList(input: unknown, context: IssuerListContext): ResolvedTrustedIssuer[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) return fail(context.name, "must be an array of issuer objects");
  const seen = new Set(context.taken);
  return input.map((entry: unknown, index) => {
    const at = `${context.name}[${index}]`;
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) return fail(at, "must be an object with at least an issuer");
    const fields = entry as Record<string, unknown>;
    for (const key of Object.keys(fields)) if (!KNOWN_FIELDS.has(key)) fail(at, `has an unknown field "${key}" (known: ${[...KNOWN_FIELDS].join(", ")})`);
    const text = (field: string): string | undefined => {
      const value = fields[field];
      if (value === undefined || value === null) return undefined;
      return typeof value === "string" && value.trim() !== "" ? value.trim() : fail(`${at}.${field}`, "must be a non-empty string");
    };
    const strings = (field: string, fallback: readonly string[]): readonly string[] => {
      const value = fields[field] ?? fallback;
      if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v === "")) fail(`${at}.${field}`, "must be a list of non-empty strings");
      return Object.freeze([...(value as string[])]);
    };

    const issuer = text("issuer") ?? fail(`${at}.issuer`, "is required");
    if (seen.has(issuer)) fail(`${at}.issuer`, `"${issuer}" is trusted twice: each issuer may be listed once`);
    seen.add(issuer);
    if (/^https?:/i.test(issuer)) context.checkUrl(`${at}.issuer`, issuer);
    const jwksUri = text("jwksUri");
    if (jwksUri !== undefined) context.checkUrl(`${at}.jwksUri`, jwksUri);
    const discovery = fields.discovery ?? context.defaults.discovery;
    if (typeof discovery !== "boolean") fail(`${at}.discovery`, `must be true or false (got ${JSON.stringify(discovery)})`);
    if (jwksUri === undefined && !discovery) fail(at, `needs a jwksUri, or discovery: true (issuer "${issuer}")`);
    if (jwksUri === undefined && !discoverable(issuer)) fail(`${at}.issuer`, "must be an http(s) URL without query or fragment to be discovered");
    const algorithms = strings("algorithms", context.defaults.algorithms);
    context.checkAlgorithms(`${at}.algorithms`, algorithms);
    return Object.freeze({
      issuer,
      jwksUri,
      discovery: discovery as boolean,
      audience: text("audience") ?? context.defaults.audience,
      algorithms,
      tokenTypes: strings("tokenTypes", context.defaults.tokenTypes),
    });
  });
}
