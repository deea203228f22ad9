import type { ResolvedOidcConfig } from "../../config.js";
import type { Revocation } from "./RevocationStore.js";

/** What a revocation names, before it is scoped to an issuer and given its lifetime. */
export type RevocationSubject = { jti: string } | { sid: string } | { sub: string; before: number };

/**
 * The revocation of `subject` for issuer `iss`, kept as long as a token it
 * matches can still be valid: every such token was issued by now (by
 * `before` for a subject) and lives at most `maxTokenLifetimeSeconds`, to
 * which the clock tolerance adds.
 */
export function revocationFor(subject: RevocationSubject, iss: string, nowMs: number, config: Pick<ResolvedOidcConfig, "maxTokenLifetimeSeconds" | "clockToleranceSeconds">): Revocation {
  const keepMs = (config.maxTokenLifetimeSeconds + config.clockToleranceSeconds) * 1000;
  if ("jti" in subject) return { kind: "jti", iss, jti: subject.jti, expiresAt: nowMs + keepMs };
  if ("sid" in subject) return { kind: "sid", iss, sid: subject.sid, expiresAt: nowMs + keepMs };
  return { kind: "sub", iss, sub: subject.sub, before: subject.before, expiresAt: Math.max(nowMs, subject.before * 1000) + keepMs };
}
