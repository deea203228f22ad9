import { discoverable, fail, parseIssuersJson, resolveIssuerList, type ResolvedTrustedIssuer, type TrustedIssuerConfig } from "./issuerConfig.js";

/** Asymmetric JWS algorithms the verifier can be allowed to accept. */
export const SUPPORTED_ALGORITHMS = Object.freeze([
  "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519",
] as const);
export type SupportedAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

/** Accepted unless `AUTH_SERVICE_ALGORITHMS` says otherwise: all of them but the newer "Ed25519" name, which must be opted into. */
const DEFAULT_ALGORITHMS: readonly SupportedAlgorithm[] = SUPPORTED_ALGORITHMS.filter((alg) => alg !== "Ed25519");

/** The validated, complete settings every part of the package reads (what `ConfigService.get()` returns). Durations are in seconds. */
export interface ResolvedOidcConfig {
  /** Base URL of the auth service (`AUTH_SERVICE_URL`). */
  authServiceUrl: string;
  /** The application's slug at the auth service (`AUTH_SERVICE_APP_SLUG`). */
  appSlug: string;
  /**
   * `AUTH_SERVICE_JWKS_URI`; default `<authServiceUrl>/api/auth/jwks`, or
   * `undefined` with `discovery` on, when the issuer's metadata supplies it.
   */
  jwksUri: string | undefined;
  /**
   * Take the JWKS URI from the issuer's discovery document
   * (`AUTH_SERVICE_DISCOVERY`), default false; an explicit `jwksUri` wins.
   * See docs/issuers.md.
   */
  discovery: boolean;
  /**
   * Issuers trusted besides `issuer` (`AUTH_SERVICE_ISSUERS`, a JSON array),
   * each with its own JWKS URI or discovery, audience, algorithms and token
   * types; default none. See docs/issuers.md.
   */
  issuers: readonly ResolvedTrustedIssuer[];
  /** Exact expected `iss` (`AUTH_SERVICE_ISSUER`); default `authServiceUrl` without trailing slash. */
  issuer: string;
  /** Expected `aud` value (`AUTH_SERVICE_AUDIENCE`); default `appSlug`. */
  audience: string;
  /** Accepted `alg` values (`AUTH_SERVICE_ALGORITHMS`); asymmetric only. */
  algorithms: SupportedAlgorithm[];
  /** Leeway for `exp`/`nbf`/`iat` (`AUTH_SERVICE_CLOCK_TOLERANCE`), 0–60, default 5. */
  clockToleranceSeconds: number;
  /** Refuse tokens whose `iat` is older than this (`AUTH_SERVICE_MAX_TOKEN_AGE`); off by default. */
  maxTokenAgeSeconds: number | undefined;
  /**
   * Longest lifetime a token may have (`AUTH_SERVICE_MAX_TOKEN_LIFETIME`), default 86400 (one day):
   * `exp` − `iat` above it (or, without `iat`, `exp` further ahead than it) is refused. Revocations
   * are kept this long plus the clock tolerance, so no token they match can outlive them.
   */
  maxTokenLifetimeSeconds: number;
  /** The `aud` back-channel logout tokens must carry: the app's client id at the issuer (`AUTH_SERVICE_LOGOUT_AUDIENCE`); default `appSlug`. */
  logoutAudience: string;
  /** Require header `typ: logout+jwt` on logout tokens (`AUTH_SERVICE_LOGOUT_REQUIRE_TYP`), default false (an untyped or `JWT`-typed one is accepted). */
  logoutRequireTyp: boolean;
  /** Required header `typ` values, e.g. `["at+jwt"]` (`AUTH_SERVICE_TOKEN_TYPES`); empty = any. */
  tokenTypes: string[];
  /** Required `azp`/`client_id` values (`AUTH_SERVICE_AUTHORIZED_PARTIES`); empty = not checked. */
  authorizedParties: string[];
  /** Longest token accepted, in bytes (`AUTH_SERVICE_MAX_TOKEN_BYTES`), default 8192. */
  maxTokenBytes: number;
  /** JWKS fetch timeout (`AUTH_SERVICE_JWKS_TIMEOUT`), default 5. */
  jwksTimeoutSeconds: number;
  /** Minimum time between refetches for unknown `kid`s (`AUTH_SERVICE_JWKS_COOLDOWN`), default 30. */
  jwksCooldownSeconds: number;
  /** Age after which the key set is refreshed (`AUTH_SERVICE_JWKS_MAX_AGE`), default 600. */
  jwksMaxAgeSeconds: number;
  /** How long past max age cached keys keep serving while the JWKS is unreachable (`AUTH_SERVICE_JWKS_STALE`), default 3600. */
  jwksStaleSeconds: number;
  /** Allow `http:` JWKS/issuer URLs on non-loopback hosts (`AUTH_SERVICE_ALLOW_INSECURE_HTTP`). */
  allowInsecureHttp: boolean;
  /**
   * What happens to an open socket when its token expires
   * (`AUTH_SERVICE_SOCKET_EXPIRY`): `"disconnect"` (default) sends
   * `auth:expired` and disconnects it at `exp` + clock tolerance unless it
   * re-authenticated; `"ignore"` keeps it open.
   */
  socketExpiry: SocketExpiryPolicy;
  /**
   * DPoP, RFC 9449 (`AUTH_SERVICE_DPOP`): `"allowed"` (default) accepts `Authorization: DPoP` with a proof and
   * plain bearer tokens; `"required"` refuses bearer tokens; `"disabled"` does not recognise the DPoP scheme.
   * In every mode a DPoP-bound token (`cnf.jkt`) presented as `Bearer` is refused. See docs/dpop.md.
   */
  dpop: DpopMode;
  /** `alg` values a DPoP proof may use (`AUTH_SERVICE_DPOP_ALGORITHMS`), asymmetric only; default all supported ones. */
  dpopAlgorithms: SupportedAlgorithm[];
  /** Oldest a proof's `iat` may be (`AUTH_SERVICE_DPOP_MAX_AGE`), default 300; also how long its `jti` is remembered. */
  dpopMaxAgeSeconds: number;
  /** Furthest ahead a proof's `iat` may be (`AUTH_SERVICE_DPOP_MAX_FUTURE`), default 30. */
  dpopMaxFutureSeconds: number;
  /**
   * Turns server nonces on (`AUTH_SERVICE_DPOP_NONCE_SECRET`, at least 32 characters, the same on every node):
   * proofs must then carry a `nonce` this secret made; unset = no nonces.
   */
  dpopNonceSecret: string | undefined;
  /**
   * The origin clients reach this server at (`AUTH_SERVICE_PUBLIC_ORIGIN`, e.g. `https://api.example.com`):
   * a DPoP proof's `htu` is checked against it instead of the request's scheme and `Host`. Set it behind a proxy.
   */
  publicOrigin: string | undefined;
  /** Most verified tokens kept in memory (`AUTH_SERVICE_TOKEN_CACHE_SIZE`), default 10000; 0 turns the cache off. */
  tokenCacheSize: number;
  /** Longest a verified token is served from the cache (`AUTH_SERVICE_TOKEN_CACHE_TTL`), default 300; never past its `exp`. */
  tokenCacheTtlSeconds: number;
  /**
   * Several nodes (`ioserver-oidc/redis`): how long a node cut off from
   * Redis keeps answering from the revocations it knows before
   * `revocationStalePolicy` applies (`AUTH_SERVICE_REVOCATION_MAX_STALENESS`), default 60.
   */
  revocationMaxStalenessSeconds: number;
  /**
   * Past that staleness (`AUTH_SERVICE_REVOCATION_STALE_POLICY`): `"refuse"`
   * (default) answers 503 `ERR_AUTH_UNAVAILABLE`, `"serve"` keeps
   * serving from the last known revocations.
   */
  revocationStalePolicy: RevocationStalePolicy;
  /**
   * What every role check (`OidcHttpAdminMiddleware`, `OidcSocketAdminMiddleware`,
   * `requireRoles`) reads (`AUTH_SERVICE_ROLE_SOURCE`): `"token"` (default, 0.1.x's
   * rule) the token's `roles` claim only; `"local-first"` the provisioner's role when
   * it gave one, else the token's `roles`.
   */
  roleSource: RoleSource;
}

/** The values `AUTH_SERVICE_ROLE_SOURCE` accepts. */
export const ROLE_SOURCES = Object.freeze(["token", "local-first"] as const);
export type RoleSource = (typeof ROLE_SOURCES)[number];

/** The values `AUTH_SERVICE_SOCKET_EXPIRY` accepts. */
export const SOCKET_EXPIRY_POLICIES = Object.freeze(["disconnect", "ignore"] as const);
export type SocketExpiryPolicy = (typeof SOCKET_EXPIRY_POLICIES)[number];

/** The values `AUTH_SERVICE_DPOP` accepts. */
export const DPOP_MODES = Object.freeze(["allowed", "required", "disabled"] as const);
export type DpopMode = (typeof DPOP_MODES)[number];

/** The DPoP settings. */
export type DpopSettings = Pick<ResolvedOidcConfig, "dpop" | "dpopAlgorithms" | "dpopMaxAgeSeconds" | "dpopMaxFutureSeconds" | "dpopNonceSecret" | "publicOrigin">;

/** The DPoP defaults, also used when no configuration can be read (a host's own verifier). */
export const DPOP_DEFAULTS: Readonly<DpopSettings> = Object.freeze({
  dpop: "allowed",
  dpopAlgorithms: [...SUPPORTED_ALGORITHMS],
  dpopMaxAgeSeconds: 300,
  dpopMaxFutureSeconds: 30,
  dpopNonceSecret: undefined,
  publicOrigin: undefined,
});

/** A nonce secret shorter than this would be guessable. */
const MIN_NONCE_SECRET_LENGTH = 32;
/** The values `AUTH_SERVICE_REVOCATION_STALE_POLICY` accepts. */
export const REVOCATION_STALE_POLICIES = Object.freeze(["refuse", "serve"] as const);
export type RevocationStalePolicy = (typeof REVOCATION_STALE_POLICIES)[number];

/** Defaults of the settings a live socket needs even when no configuration could be read (a host's own verifier). */
export const SESSION_DEFAULTS: Readonly<Pick<ResolvedOidcConfig, "socketExpiry" | "clockToleranceSeconds">> = Object.freeze({
  socketExpiry: "disconnect",
  clockToleranceSeconds: 5,
});

/**
 * The configuration a host gives, as in 0.1.x: `authServiceUrl` and
 * `appSlug` are required; every other setting is optional and takes the
 * default documented on `ResolvedOidcConfig`.
 *
 * @example
 * ```ts
 * const cfg: OidcConfig = { authServiceUrl: "https://auth.example.com", appSlug: "my-app" };
 * ```
 */
export interface OidcConfig extends Partial<Omit<ResolvedOidcConfig, "issuers">> {
  authServiceUrl: string;
  appSlug: string;
  /** Issuers trusted besides the primary one; fields left out take the top-level settings. */
  issuers?: readonly TrustedIssuerConfig[];
}

type Parser<T> = (raw: string, name: string) => T;

interface Setting<K extends keyof ResolvedOidcConfig> {
  env: string;
  parse: Parser<ResolvedOidcConfig[K]>;
}

const text: Parser<string> = (raw) => raw;
const list: Parser<string[]> = (raw) => raw.split(",").map((s) => s.trim()).filter(Boolean);
const seconds: Parser<number> = (raw, name) => {
  const value = Number(raw);
  return raw.trim() !== "" && Number.isFinite(value) && value >= 0 ? value : fail(name, `must be a number of seconds ≥ 0 (got "${raw}")`);
};
const oneOf = <T extends string>(allowed: readonly T[]): Parser<T> => (raw, name) => {
  const value = raw.trim().toLowerCase();
  return (allowed as readonly string[]).includes(value) ? (value as T) : fail(name, `must be one of ${allowed.join(", ")} (got "${raw}")`);
};
const count: Parser<number> = (raw, name) => {
  const value = Number(raw);
  return /^\d+$/.test(raw.trim()) && Number.isSafeInteger(value) ? value : fail(name, `must be a whole number ≥ 0 (got "${raw}")`);
};
const bool: Parser<boolean> = (raw, name) => {
  const v = raw.trim().toLowerCase();
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0" || v === "") return false;
  return fail(name, `must be "true" or "false" (got "${raw}")`);
};

/** Environment variable and parser for every field; the single map between the two worlds. */
const SETTINGS: { [K in keyof ResolvedOidcConfig]-?: Setting<K> } = {
  authServiceUrl: { env: "AUTH_SERVICE_URL", parse: text },
  appSlug: { env: "AUTH_SERVICE_APP_SLUG", parse: text },
  jwksUri: { env: "AUTH_SERVICE_JWKS_URI", parse: text },
  issuer: { env: "AUTH_SERVICE_ISSUER", parse: text },
  audience: { env: "AUTH_SERVICE_AUDIENCE", parse: text },
  algorithms: { env: "AUTH_SERVICE_ALGORITHMS", parse: list as Parser<SupportedAlgorithm[]> },
  clockToleranceSeconds: { env: "AUTH_SERVICE_CLOCK_TOLERANCE", parse: seconds },
  maxTokenAgeSeconds: { env: "AUTH_SERVICE_MAX_TOKEN_AGE", parse: seconds },
  maxTokenLifetimeSeconds: { env: "AUTH_SERVICE_MAX_TOKEN_LIFETIME", parse: seconds },
  logoutAudience: { env: "AUTH_SERVICE_LOGOUT_AUDIENCE", parse: text },
  logoutRequireTyp: { env: "AUTH_SERVICE_LOGOUT_REQUIRE_TYP", parse: bool },
  tokenTypes: { env: "AUTH_SERVICE_TOKEN_TYPES", parse: list },
  authorizedParties: { env: "AUTH_SERVICE_AUTHORIZED_PARTIES", parse: list },
  maxTokenBytes: { env: "AUTH_SERVICE_MAX_TOKEN_BYTES", parse: count },
  jwksTimeoutSeconds: { env: "AUTH_SERVICE_JWKS_TIMEOUT", parse: seconds },
  jwksCooldownSeconds: { env: "AUTH_SERVICE_JWKS_COOLDOWN", parse: seconds },
  jwksMaxAgeSeconds: { env: "AUTH_SERVICE_JWKS_MAX_AGE", parse: seconds },
  jwksStaleSeconds: { env: "AUTH_SERVICE_JWKS_STALE", parse: seconds },
  allowInsecureHttp: { env: "AUTH_SERVICE_ALLOW_INSECURE_HTTP", parse: bool },
  socketExpiry: { env: "AUTH_SERVICE_SOCKET_EXPIRY", parse: oneOf(SOCKET_EXPIRY_POLICIES) },
  dpop: { env: "AUTH_SERVICE_DPOP", parse: oneOf(DPOP_MODES) },
  dpopAlgorithms: { env: "AUTH_SERVICE_DPOP_ALGORITHMS", parse: list as Parser<SupportedAlgorithm[]> },
  dpopMaxAgeSeconds: { env: "AUTH_SERVICE_DPOP_MAX_AGE", parse: seconds },
  dpopMaxFutureSeconds: { env: "AUTH_SERVICE_DPOP_MAX_FUTURE", parse: seconds },
  dpopNonceSecret: { env: "AUTH_SERVICE_DPOP_NONCE_SECRET", parse: text },
  publicOrigin: { env: "AUTH_SERVICE_PUBLIC_ORIGIN", parse: text },
  tokenCacheSize: { env: "AUTH_SERVICE_TOKEN_CACHE_SIZE", parse: count },
  tokenCacheTtlSeconds: { env: "AUTH_SERVICE_TOKEN_CACHE_TTL", parse: seconds },
  revocationMaxStalenessSeconds: { env: "AUTH_SERVICE_REVOCATION_MAX_STALENESS", parse: seconds },
  revocationStalePolicy: { env: "AUTH_SERVICE_REVOCATION_STALE_POLICY", parse: oneOf(REVOCATION_STALE_POLICIES) },
  discovery: { env: "AUTH_SERVICE_DISCOVERY", parse: bool },
  // Completed and checked by validate(), like a programmatic list.
  issuers: { env: "AUTH_SERVICE_ISSUERS", parse: parseIssuersJson as unknown as Parser<readonly ResolvedTrustedIssuer[]> },
  roleSource: { env: "AUTH_SERVICE_ROLE_SOURCE", parse: oneOf(ROLE_SOURCES) },
};

/** The environment variable behind each `ResolvedOidcConfig` field (for docs and error messages). */
export const OIDC_ENV_VARS: Readonly<Record<keyof ResolvedOidcConfig, string>> = Object.freeze(
  Object.fromEntries(Object.entries(SETTINGS).map(([field, s]) => [field, s.env])) as Record<keyof ResolvedOidcConfig, string>,
);

/**
 * Reads the `AUTH_SERVICE_*` variables into a validated config. Throws an
 * `OidcError` with code `ERR_AUTH_MISCONFIGURED` whose message names the
 * missing or invalid variable.
 */
export function readOidcConfigFromEnv(env: NodeJS.ProcessEnv): ResolvedOidcConfig {
  const input: Record<string, unknown> = {};
  for (const [field, setting] of Object.entries(SETTINGS) as [keyof ResolvedOidcConfig, Setting<keyof ResolvedOidcConfig>][]) {
    const raw = env[setting.env];
    if (raw !== undefined && raw.trim() !== "") input[field] = setting.parse(raw.trim(), setting.env);
  }
  return validate(input as Partial<ResolvedOidcConfig>, (field) => SETTINGS[field].env);
}

/**
 * Completes and validates a programmatic config (as `verifyOidcToken` takes
 * it). Errors name the field.
 */
export function resolveOidcConfig(input: OidcConfig): ResolvedOidcConfig {
  if (input === null || typeof input !== "object") fail("config", "must be an object");
  return validate(input, (field) => field);
}

/** Asymmetric, supported algorithms only, at least one (`none` and HS* never). */
function checkAlgorithms(name: string, algorithms: unknown): void {
  if (!Array.isArray(algorithms) || algorithms.length === 0) fail(name, "must list at least one algorithm");
  for (const alg of algorithms as unknown[]) {
    if (!(SUPPORTED_ALGORITHMS as readonly unknown[]).includes(alg)) {
      fail(name, `contains "${String(alg)}": only asymmetric algorithms (${SUPPORTED_ALGORITHMS.join(", ")}) are allowed; "none" and HS* never are`);
    }
  }
}

/** Hosts whose traffic never leaves the machine: `localhost`, 127.0.0.0/8 and `[::1]`. */
export const isLoopback = (hostname: string): boolean => hostname === "localhost" || hostname === "[::1]" || /^127(?:\.\d{1,3}){3}$/.test(hostname);

function validate(input: Partial<ResolvedOidcConfig> | OidcConfig, nameOf: (field: keyof ResolvedOidcConfig) => string): ResolvedOidcConfig {
  const required = (field: "authServiceUrl" | "appSlug"): string => {
    const value = input[field];
    return typeof value === "string" && value.trim() !== "" ? value.trim() : fail(nameOf(field), "is required");
  };
  const authServiceUrl = required("authServiceUrl");
  const appSlug = required("appSlug");
  const base = authServiceUrl.replace(/\/+$/, "");
  // Programmatic input is not typed at run time: "false" (a string) must not pass for true.
  const allowInsecureHttp = input.allowInsecureHttp ?? false;
  if (typeof allowInsecureHttp !== "boolean") fail(nameOf("allowInsecureHttp"), `must be true or false (got ${JSON.stringify(allowInsecureHttp)})`);
  const logoutRequireTyp = input.logoutRequireTyp ?? false;
  if (typeof logoutRequireTyp !== "boolean") fail(nameOf("logoutRequireTyp"), `must be true or false (got ${JSON.stringify(logoutRequireTyp)})`);
  const optionalText = (field: "jwksUri" | "issuer" | "audience" | "logoutAudience"): string | undefined => {
    const value: unknown = input[field];
    if (value === undefined || value === null) return undefined;
    return typeof value === "string" ? value.trim() : fail(nameOf(field), `must be a string (got ${typeof value})`);
  };

  /** Checks a URL setting; `name` is what errors blame (the variable or field the user set). */
  const url = (name: string, value: string, mustBeSecure: boolean): string => {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      return fail(name, `must be an absolute URL (got "${value}")`);
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") fail(name, "must be an http(s) URL");
    if (mustBeSecure && parsed.protocol === "http:" && !allowInsecureHttp && !isLoopback(parsed.hostname)) {
      fail(name, `must use https: (http: is only allowed for loopback hosts unless ${nameOf("allowInsecureHttp")}=true)`);
    }
    return value;
  };

  url(nameOf("authServiceUrl"), authServiceUrl, false);
  const discovery = input.discovery ?? false;
  if (typeof discovery !== "boolean") fail(nameOf("discovery"), `must be true or false (got ${JSON.stringify(discovery)})`);
  // A value derived from AUTH_SERVICE_URL is blamed on AUTH_SERVICE_URL: the error names what the user set.
  const explicitJwksUri = optionalText("jwksUri");
  const jwksUri = explicitJwksUri || !discovery ? url(nameOf(explicitJwksUri ? "jwksUri" : "authServiceUrl"), explicitJwksUri || `${base}/api/auth/jwks`, true) : undefined;
  // The issuer is compared as an exact string (RFC 8725 §3.8); only a URL-shaped issuer is checked for https.
  const explicitIssuer = optionalText("issuer");
  const issuer = explicitIssuer || base;
  if (/^https?:/i.test(issuer)) url(nameOf(explicitIssuer ? "issuer" : "authServiceUrl"), issuer, true);
  if (discovery && jwksUri === undefined && !discoverable(issuer)) {
    fail(nameOf("issuer"), `must be an http(s) URL without query or fragment to be discovered (${nameOf("discovery")}=true)`);
  }

  const algorithmList = (field: "algorithms" | "dpopAlgorithms", fallback: readonly SupportedAlgorithm[]): SupportedAlgorithm[] => {
    const value = input[field] ?? fallback;
    checkAlgorithms(nameOf(field), value);
    return [...value];
  };
  const algorithms = algorithmList("algorithms", DEFAULT_ALGORITHMS);


  const num = (field: keyof ResolvedOidcConfig, fallback: number, max = Number.MAX_SAFE_INTEGER, min = 0): number => {
    const value = (input[field] as number | undefined) ?? fallback;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) return fail(nameOf(field), "must be a number ≥ 0");
    if (value < min) return fail(nameOf(field), `must be at least ${min}`);
    if (value > max) return fail(nameOf(field), `must be at most ${max}`);
    return value;
  };
  const wholeNumber = (field: "tokenCacheSize" | "maxTokenBytes", fallback: number): number => {
    const value = num(field, fallback);
    return Number.isSafeInteger(value) ? value : fail(nameOf(field), "must be a whole number");
  };
  const strings = (field: "tokenTypes" | "authorizedParties"): string[] => {
    const value = input[field] ?? [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v === "")) fail(nameOf(field), "must be a list of non-empty strings");
    return [...value];
  };

  const socketExpiry = input.socketExpiry ?? SESSION_DEFAULTS.socketExpiry;
  if (!(SOCKET_EXPIRY_POLICIES as readonly string[]).includes(socketExpiry)) {
    fail(nameOf("socketExpiry"), `must be one of ${SOCKET_EXPIRY_POLICIES.join(", ")} (got "${String(socketExpiry)}")`);
  }

  const dpop = input.dpop ?? DPOP_DEFAULTS.dpop;
  if (!(DPOP_MODES as readonly string[]).includes(dpop)) fail(nameOf("dpop"), `must be one of ${DPOP_MODES.join(", ")} (got "${String(dpop)}")`);
  const dpopNonceSecret: unknown = input.dpopNonceSecret;
  if (dpopNonceSecret !== undefined && (typeof dpopNonceSecret !== "string" || dpopNonceSecret.length < MIN_NONCE_SECRET_LENGTH)) {
    fail(nameOf("dpopNonceSecret"), `must be a string of at least ${MIN_NONCE_SECRET_LENGTH} characters`);
  }
  const publicOrigin = input.publicOrigin === undefined ? undefined : origin(nameOf("publicOrigin"), input.publicOrigin);
  const revocationStalePolicy = input.revocationStalePolicy ?? "refuse";
  if (!(REVOCATION_STALE_POLICIES as readonly string[]).includes(revocationStalePolicy)) {
    fail(nameOf("revocationStalePolicy"), `must be one of ${REVOCATION_STALE_POLICIES.join(", ")} (got "${String(revocationStalePolicy)}")`);
  }

  const audience = optionalText("audience") || appSlug;
  const tokenTypes = strings("tokenTypes");
  const issuers = resolveIssuerList(input.issuers, {
    name: nameOf("issuers"),
    taken: [issuer],
    defaults: { audience, algorithms, tokenTypes, discovery },
    checkUrl: (name, value) => void url(name, value, true),
    checkAlgorithms,
  });
  const roleSource = input.roleSource ?? "token";
  if (!(ROLE_SOURCES as readonly string[]).includes(roleSource)) {
    fail(nameOf("roleSource"), `must be one of ${ROLE_SOURCES.join(", ")} (got "${String(roleSource)}")`);
  }

  const maxTokenBytes = wholeNumber("maxTokenBytes", 8192);
  if (maxTokenBytes < 64) fail(nameOf("maxTokenBytes"), "must be at least 64");

  return Object.freeze({
    authServiceUrl,
    appSlug,
    jwksUri,
    issuer,
    discovery,
    issuers: Object.freeze(issuers),
    audience,
    algorithms,
    clockToleranceSeconds: num("clockToleranceSeconds", SESSION_DEFAULTS.clockToleranceSeconds, 60),
    maxTokenAgeSeconds: input.maxTokenAgeSeconds === undefined ? undefined : num("maxTokenAgeSeconds", 0),
    // Under a minute no real issuer fits; a revocation must outlive every token it can match.
    maxTokenLifetimeSeconds: num("maxTokenLifetimeSeconds", 86_400, Number.MAX_SAFE_INTEGER, 60),
    logoutAudience: optionalText("logoutAudience") || appSlug,
    logoutRequireTyp,
    tokenTypes,
    authorizedParties: strings("authorizedParties"),
    maxTokenBytes,
    // 0 would abort every fetch, and a max age under 1 s would fetch the JWKS on nearly every request.
    jwksTimeoutSeconds: num("jwksTimeoutSeconds", 5, Number.MAX_SAFE_INTEGER, 0.01),
    jwksCooldownSeconds: num("jwksCooldownSeconds", 30),
    jwksMaxAgeSeconds: num("jwksMaxAgeSeconds", 600, Number.MAX_SAFE_INTEGER, 1),
    jwksStaleSeconds: num("jwksStaleSeconds", 3600),
    allowInsecureHttp,
    socketExpiry,
    dpop,
    dpopAlgorithms: algorithmList("dpopAlgorithms", DPOP_DEFAULTS.dpopAlgorithms),
    dpopMaxAgeSeconds: num("dpopMaxAgeSeconds", DPOP_DEFAULTS.dpopMaxAgeSeconds, 86_400, 1),
    dpopMaxFutureSeconds: num("dpopMaxFutureSeconds", DPOP_DEFAULTS.dpopMaxFutureSeconds, 3600),
    dpopNonceSecret,
    publicOrigin,
    tokenCacheSize: wholeNumber("tokenCacheSize", 10_000),
    tokenCacheTtlSeconds: num("tokenCacheTtlSeconds", 300),
    revocationMaxStalenessSeconds: num("revocationMaxStalenessSeconds", 60),
    revocationStalePolicy,
    roleSource,
  }) as ResolvedOidcConfig;
}

/**
 * `AUTH_SERVICE_PUBLIC_ORIGIN`: an http(s) origin (scheme, host, optional
 * port), nothing else, returned as the WHATWG URL serialises it (lower-case
 * host, no default port).
 */
function origin(name: string, value: unknown): string {
  if (typeof value !== "string") return fail(name, `must be a string (got ${typeof value})`);
  let parsed: URL;
  try {
    parsed = new URL(value.trim());
  } catch {
    return fail(name, `must be an absolute URL (got "${value}")`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") fail(name, "must be an http(s) origin");
  if (parsed.username !== "" || parsed.password !== "" || parsed.pathname !== "/" || parsed.search !== "" || parsed.hash !== "") {
    fail(name, `must be an origin only, such as https://api.example.com (got "${value}")`);
  }
  return parsed.origin;
}
