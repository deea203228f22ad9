/**
 * Mutations of valid tokens and Authorization headers for the fuzz test,
 * and the oracle that says whether a mutated input may still be accepted.
 */
import fc from "fast-check";

const B64URL_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".split("");
const HOSTILE_CHARS = [".", "=", "+", "/", "~", " ", "\t", "\r", "\n", "\u0000", "é", "\u2028", "\uFEFF", "%", '"', "\\"];

const HEADER_KEYS = ["alg", "kid", "typ", "cty", "crit", "b64", "jku", "jwk", "x5u", "x5c", "x5t", "enc", "zip", "__proto__"];
const PAYLOAD_KEYS = ["sub", "iss", "aud", "exp", "nbf", "iat", "azp", "client_id", "roles", "features", "__proto__", "constructor"];
const INTERESTING_VALUES: unknown[] = [
  "none", "None", "NONE", "HS256", "HS512", "RS256", "PS256", "ES256", "ES512", "EdDSA", "Ed25519", "RSA-OAEP",
  "JWT", "at+jwt", "application/jwt", "../../etc/passwd", "http://127.0.0.1:1/jwks", "", " ", "\u0000",
  ["b64"], ["exp"], [], [""], false, true, null, 0, -1, 1e21, 9_999_999_999, Number.MAX_SAFE_INTEGER, "9999999999",
  { kty: "RSA", n: "AQAB", e: "AQAB" }, { __proto__: null }, ["admin"], "admin",
];

/** One edit of a compact token. Positions are taken modulo the length they apply to. */
export type TokenMutation =
  | { kind: "replace"; at: number; text: string }
  | { kind: "insert"; at: number; text: string }
  | { kind: "delete"; at: number; length: number }
  | { kind: "truncate"; at: number }
  | { kind: "flip"; segment: number; at: number; bit: number }
  | { kind: "segments"; op: "swap01" | "swap12" | "duplicate" | "drop" | "extra" | "empty" }
  | { kind: "header"; key: string; value: unknown }
  | { kind: "payload"; key: string; value: unknown }
  | { kind: "splice"; header: number; payload: number; signature: number };

const hostileText = fc.oneof(
  fc.constantFrom(...B64URL_CHARS, ...HOSTILE_CHARS),
  fc.string({ unit: "binary", minLength: 1, maxLength: 3 }),
);
const jsonish = fc.oneof(fc.constantFrom<unknown>(...INTERESTING_VALUES, undefined), fc.jsonValue({ maxDepth: 2 }));

export const tokenMutation: fc.Arbitrary<TokenMutation> = fc.oneof(
  fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), text: hostileText }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: hostileText }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("flip" as const), segment: fc.integer({ min: 0, max: 2 }), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("segments" as const), op: fc.constantFrom("swap01", "swap12", "duplicate", "drop", "extra", "empty") }),
  fc.record({ kind: fc.constant("header" as const), key: fc.constantFrom(...HEADER_KEYS), value: jsonish }),
  fc.record({ kind: fc.constant("payload" as const), key: fc.constantFrom(...PAYLOAD_KEYS), value: jsonish }),
  fc.record({ kind: fc.constant("splice" as const), header: fc.nat(), payload: fc.nat(), signature: fc.nat() }),
);

const decodeJson = (segment: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};
const encodeJson = (value: Record<string, unknown>): string => Buffer.from(JSON.stringify(value)).toString("base64url");

/** Sets (or, for `undefined`, deletes) one member, as an own property even for `__proto__`. */
function withMember(object: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy = { ...object };
  if (value === undefined) delete copy[key];
  else Object.defineProperty(copy, key, { value, enumerable: true, configurable: true, writable: true });
  return copy;
}

/** Applies one mutation; `bases` are the valid tokens a splice draws parts from. */
export function mutateToken(token: string, mutation: TokenMutation, bases: readonly string[]): string {
  const parts = token.split(".");
  const at = (n: number, length: number): number => (length === 0 ? 0 : n % length);
  switch (mutation.kind) {
    case "replace": {
      const i = at(mutation.at, token.length);
      return token.slice(0, i) + mutation.text + token.slice(i + 1);
    }
    case "insert": {
      const i = at(mutation.at, token.length + 1);
      return token.slice(0, i) + mutation.text + token.slice(i);
    }
    case "delete": {
      const i = at(mutation.at, token.length);
      return token.slice(0, i) + token.slice(i + mutation.length);
    }
    case "truncate":
      return token.slice(0, at(mutation.at, token.length));
    case "flip": {
      const segment = parts[mutation.segment];
      if (segment === undefined) return token;
      const bytes = Buffer.from(segment, "base64url");
      if (bytes.length === 0) return token;
      const i = at(mutation.at, bytes.length);
      bytes[i] = (bytes[i] as number) ^ (1 << mutation.bit);
      parts[mutation.segment] = bytes.toString("base64url");
      return parts.join(".");
    }
    case "segments": {
      const [h = "", p = "", s = ""] = parts;
      switch (mutation.op) {
        case "swap01":
          return [p, h, s].join(".");
        case "swap12":
          return [h, s, p].join(".");
        case "duplicate":
          return [h, p, p, s].join(".");
        case "drop":
          return [h, p].join(".");
        case "extra":
          return [h, p, s, s, s].join(".");
        case "empty":
          return [h, "", s].join(".");
      }
      return token;
    }
    case "header":
    case "payload": {
      const index = mutation.kind === "header" ? 0 : 1;
      const decoded = decodeJson(parts[index] ?? "");
      if (!decoded) return token;
      parts[index] = encodeJson(withMember(decoded, mutation.key, mutation.value));
      return parts.join(".");
    }
    case "splice": {
      const pick = (n: number, i: number): string => (bases[n % bases.length] as string).split(".")[i] ?? "";
      return [pick(mutation.header, 0), pick(mutation.payload, 1), pick(mutation.signature, 2)].join(".");
    }
  }
}

const BASE64URL_ONLY = /^[A-Za-z0-9_-]*$/;

/**
 * Whether `candidate` is one of the valid tokens in another spelling: the
 * same header and payload segments (they are signed as written) and a
 * signature segment decoding to the same bytes (base64url's unused
 * trailing bits make several spellings of one signature). Only such a
 * candidate may be accepted.
 */
export function isSpellingOf(candidate: string, bases: readonly string[]): boolean {
  const parts = candidate.split(".");
  if (parts.length !== 3 || !BASE64URL_ONLY.test(parts[2] as string) || (parts[2] as string).length % 4 === 1) return false;
  return bases.some((base) => {
    const [h, p, s] = base.split(".");
    return parts[0] === h && parts[1] === p && Buffer.from(parts[2] as string, "base64url").equals(Buffer.from(s as string, "base64url"));
  });
}

/** A mutated Authorization header value: scheme, separator and suffix variants around a (possibly mutated) token. */
export interface HeaderMutation {
  prefix: string;
  scheme: string;
  separator: string;
  suffix: string;
  token: TokenMutation[];
}

/** Mostly `usual`, sometimes one of `unusual`: keeps acceptable headers common enough to test both sides of the oracle. */
const mostly = <T>(usual: fc.Arbitrary<T>, unusual: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  fc.oneof({ arbitrary: usual, weight: 3 }, { arbitrary: unusual, weight: 2 });

export const headerMutation: fc.Arbitrary<HeaderMutation> = fc.record({
  prefix: mostly(fc.constant(""), fc.constantFrom(" ", "\t", ",")),
  scheme: mostly(
    fc.constantFrom("Bearer", "bearer", "BEARER", "bEaReR"),
    fc.oneof(fc.constantFrom("Bearer:", "Bearer,", "Basic", "Token", "JWT", "DPoP", "", "Bear", "Bearerr"), fc.string({ unit: "binary-ascii", maxLength: 7 })),
  ),
  separator: mostly(fc.constantFrom(" ", "  "), fc.constantFrom("\t", "", " \t", "\r\n ", "\n", ",", "=", "\u00a0", ": ")),
  suffix: mostly(
    fc.constant(""),
    fc.oneof(fc.constantFrom(" ", "\t", " x", ", Bearer abc", "\r\n", "\u0000", "=", "=="), fc.string({ unit: "binary", maxLength: 4 })),
  ),
  token: mostly(fc.constant([]), fc.array(tokenMutation, { minLength: 1, maxLength: 2 })),
});

/** The header value a mutation produces around `token`. */
export function buildHeader(mutation: HeaderMutation, token: string, bases: readonly string[]): string {
  const mutated = mutation.token.reduce((t, m) => mutateToken(t, m, bases), token);
  return `${mutation.prefix}${mutation.scheme}${mutation.separator}${mutated}${mutation.suffix}`;
}

/**
 * RFC 6750 §2.1 as an independent model: a header may be accepted only if
 * it is the bearer scheme (any case), one or more spaces, and a spelling
 * of a valid token, with nothing else around.
 */
export function headerMayBeAccepted(header: string, bases: readonly string[]): boolean {
  const match = /^bearer( +)([^ ]*)$/i.exec(header);
  return match !== null && isSpellingOf(match[2] as string, bases);
}

/**
 * RFC 9449 §7.2 / RFC 6750 §3.1 as an independent model: a header whose
 * comma-separated credentials name both the Bearer and the DPoP scheme is
 * one request presenting a token two ways, refused with 400, not 401.
 */
export function headerUsesBothSchemes(header: string): boolean {
  const schemes = new Set(header.split(",").map((credential) => (/^\s*([^\s]*)/.exec(credential)?.[1] ?? "").toLowerCase()));
  return header.includes(",") && schemes.has("bearer") && schemes.has("dpop");
}
