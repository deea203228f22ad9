import type { errors, ProtectedHeaderParameters } from "jose";
import type { ResolvedOidcConfig } from "../../config.js";
import type { RefusalDetail } from "../../errors.js";

/**
 * What a failed rule says about the refusal: the token is bad (forged,
 * malformed), it has expired (the client should get a new one), or it is
 * genuine and the server's settings refuse it (an operator should look).
 */
export type RefusalKind = RefusalDetail["kind"];

/** Why one rule refused a token. Claims and header values are not secrets; the token never appears here. */
export interface RuleFailure extends RefusalDetail {
  /** For the server log, e.g. `ERR_JWT_EXPIRED: "exp" claim timestamp check failed`. */
  readonly reason: string;
  /** The error jose's `jwtVerify` throws for the same fault (the refusal's `cause`). */
  readonly jose: errors.JOSEError;
}

/**
 * One named check of the verifier. `JwksVerifier` runs the rules in order
 * and stops at the first failure; `ioserver-oidc explain` runs every one
 * of them on a token to show which fail and why.
 */
export interface Rule<S> {
  readonly name: string;
  /** What the rule requires, in a few words (for explain's table). */
  readonly requires: string;
  check(subject: S, config: ResolvedOidcConfig): RuleFailure | undefined;
}

/** The protected header once the header rules passed. */
export type TokenHeader = ProtectedHeaderParameters & { alg: string; kid: string | undefined };

/** A failure of the token itself, its log reason `<jose code>: <message>` unless given. */
export function tokenFailure(rule: string, jose: errors.JOSEError, extra: Partial<Omit<RuleFailure, "rule" | "jose">> = {}): RuleFailure {
  return { rule, reason: `${jose.code}: ${jose.message}`, kind: "token", jose, ...extra };
}

export const isRuleFailure = (value: unknown): value is RuleFailure => typeof value === "object" && value !== null && "jose" in value && "rule" in value;
