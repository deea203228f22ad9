import { ERR_AUTH_TOKEN_INVALID, OidcError } from "../errors.js";
import type { TokenVerifier } from "../services/verification/JwksVerifier.js";
import type { VerifiedClaims } from "../types.js";

/**
 * What a fake token stands for: `sub` plus any claims (`roles`,
 * `permissions`, `features`, `email`, `name`, ...). `iss` and `exp` get
 * defaults when left out.
 */
export type FakeClaims = { sub: string } & Record<string, unknown>;

/** Claims for a token, or `undefined` to refuse it. May be async and may throw an `OidcError` (e.g. `ERR_AUTH_UNAVAILABLE`). */
export type FakeTokenLookup = (token: string) => FakeClaims | undefined | Promise<FakeClaims | undefined>;

/** A `TokenVerifier` with no keys and no network that counts its calls. */
export interface FakeVerifier extends TokenVerifier {
  /** How many tokens it was asked to verify. */
  readonly calls: number;
}

/** The `iss` fake tokens carry unless the claims give one. */
export const FAKE_ISSUER = "https://issuer.test";

/**
 * A verifier for tests that accepts exactly the tokens you list and
 * refuses every other one with `ERR_AUTH_TOKEN_INVALID`, like the real
 * verifier refuses a bad signature. Bind it with
 * `createTestContainer({ verifier })` or `TOKENS.JwksVerifier`.
 *
 * @example
 * ```ts
 * const verifier = fakeVerifier({
 *   "alice-token": { sub: "alice", roles: ["admin"] },
 *   "bob-token": { sub: "bob" },
 * });
 * // or compute the answer: fakeVerifier((token) => token.startsWith("ok:") ? { sub: token.slice(3) } : undefined)
 * ```
 */
export function fakeVerifier(tokens: Readonly<Record<string, FakeClaims>> | FakeTokenLookup): FakeVerifier {
  const lookup: FakeTokenLookup = typeof tokens === "function" ? tokens : (token) => (Object.hasOwn(tokens, token) ? tokens[token] : undefined);
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    async verify(token: string): Promise<VerifiedClaims> {
      calls += 1;
      const claims = await lookup(token);
      if (claims === undefined) throw new OidcError(ERR_AUTH_TOKEN_INVALID, { reason: "fakeVerifier: token not in the list" });
      return { iss: FAKE_ISSUER, exp: Math.floor(Date.now() / 1000) + 300, ...claims };
    },
  };
}
