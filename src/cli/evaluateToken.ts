import type { KeyObject } from "node:crypto";
import { errors, type JWTPayload, type ProtectedHeaderParameters } from "jose";
import type { ResolvedOidcConfig } from "../config.js";
import { OidcError } from "../errors.js";
import type { RemoteKeySet } from "../services/keys/RemoteKeySet.js";
import {
  CLAIM_RULES,
  decodeHeader,
  decodePayload,
  HEADER_DECODE_RULE,
  HEADER_RULES,
  isRuleFailure,
  KEY_RULE,
  PAYLOAD_DECODE_RULE,
  SHAPE_RULE,
  SIGNATURE_RULE,
  SIZE_RULE,
  type RuleFailure,
  type TokenHeader,
} from "../services/verification/rules.js";

export interface RuleOutcome {
  readonly rule: string;
  readonly requires: string;
  readonly status: "pass" | "fail" | "skip";
  /** Why it failed. */
  readonly failure?: RuleFailure;
  /** Why it was skipped, or the key that was found. */
  readonly note?: string;
  /** The key lookup was answered `ERR_AUTH_UNAVAILABLE` (503), not 401. */
  readonly unavailable?: boolean;
}

export interface Evaluation {
  readonly outcomes: RuleOutcome[];
  readonly header: ProtectedHeaderParameters | undefined;
  readonly payload: JWTPayload | undefined;
}

/**
 * Runs every rule of the verifier (`rules.ts`, the same checks
 * `JwksVerifier` runs, in its order) on a token and records each outcome
 * instead of stopping at the first failure. Where the verifier would not
 * get that far (a bad signature, a refused algorithm), the later rules
 * still run on the decoded, untrusted token, for diagnosis only; a rule
 * whose input could not be decoded is skipped.
 */
export async function evaluateToken(raw: string, config: ResolvedOidcConfig, keySetOf: () => Promise<RemoteKeySet>, nowMs: number): Promise<Evaluation> {
  const outcomes: RuleOutcome[] = [];
  const record = (rule: { name: string; requires: string }, failure: RuleFailure | undefined): boolean => {
    outcomes.push(failure ? { rule: rule.name, requires: rule.requires, status: "fail", failure } : { rule: rule.name, requires: rule.requires, status: "pass" });
    return failure === undefined;
  };
  const skip = (rule: { name: string; requires: string }, note: string): void => {
    outcomes.push({ rule: rule.name, requires: rule.requires, status: "skip", note });
  };

  record(SIZE_RULE, SIZE_RULE.check(raw, config));
  record(SHAPE_RULE, SHAPE_RULE.check(raw, config));

  const decodedHeader = decodeHeader(raw);
  const header = isRuleFailure(decodedHeader) ? undefined : decodedHeader;
  record(HEADER_DECODE_RULE, header ? undefined : (decodedHeader as RuleFailure));
  for (const rule of HEADER_RULES) {
    if (header) record(rule, rule.check(header, config));
    else skip(rule, "no header to check");
  }

  // The key is looked up for any alg, allowed or not: "the key exists, allow its algorithm" is worth knowing.
  let key: KeyObject | undefined;
  const alg = typeof header?.alg === "string" && header.alg !== "" ? header.alg : undefined;
  const kid = typeof header?.kid === "string" ? header.kid : undefined;
  if (alg === undefined || (header?.kid !== undefined && kid === undefined)) skip(KEY_RULE, "no alg or kid to look up");
  else {
    try {
      // Discovery, when configured, happens here: its failure is the key rule's, as in the verifier (503).
      key = await (await keySetOf()).getKey(alg, kid);
      outcomes.push({ rule: KEY_RULE.name, requires: KEY_RULE.requires, status: "pass", note: kid === undefined ? "the only key for this alg" : undefined });
    } catch (error) {
      const refusal = error instanceof OidcError ? error : undefined;
      const reason = refusal?.reason ?? String(error);
      const jose = refusal?.cause instanceof errors.JOSEError ? refusal.cause : new errors.JOSEError(reason);
      outcomes.push({
        rule: KEY_RULE.name,
        requires: KEY_RULE.requires,
        status: "fail",
        failure: { rule: KEY_RULE.name, reason, kind: "token", jose },
        unavailable: refusal?.statusCode === 503,
      });
    }
  }
  if (key === undefined || alg === undefined) skip(SIGNATURE_RULE, "no key to check it with");
  else record(SIGNATURE_RULE, await SIGNATURE_RULE.check(raw, alg, key));

  const decodedPayload = decodePayload(raw);
  const payload = isRuleFailure(decodedPayload) ? undefined : decodedPayload;
  record(PAYLOAD_DECODE_RULE, payload ? undefined : (decodedPayload as RuleFailure));
  for (const rule of CLAIM_RULES) {
    if (header && payload) record(rule, rule.check({ header: header as TokenHeader, payload, nowMs }, config));
    else skip(rule, "no header or payload to check");
  }
  return { outcomes, header, payload };
}
