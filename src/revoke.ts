import type { DependencyContainer } from "tsyringe";
import { oidcContainer } from "./container.js";
import type { Revocation } from "./services/sessions/RevocationStore.js";
import { revocationFor, type RevocationSubject } from "./services/sessions/revocationFor.js";
import { TOKENS } from "./tokens.js";

/**
 * What to revoke: one token (`jti`), one session (`sid`: every token of
 * it), or a subject's tokens issued before `before` (`sub`; default now),
 * which leaves a later sign-in working.
 */
export type RevokeTarget = { jti: string } | { sid: string } | { sub: string; before?: number | Date };

export interface RevokeOptions {
  /** The issuer the id belongs to (default the configured `AUTH_SERVICE_ISSUER`). */
  iss?: string;
  /** The OIDC container whose store to write (default `oidcContainer`). */
  container?: DependencyContainer;
}

/**
 * Revokes tokens for this app: from the moment it resolves, every HTTP
 * request, socket handshake and `auth:refresh` carrying a matching token is
 * refused (`ERR_AUTH_TOKEN_INVALID`, "The access token has been revoked"),
 * and matching live sockets get `auth:revoked` and are disconnected. With a
 * shared store (`ioserver-oidc/redis`) that holds on every node.
 *
 * The entry is kept as long as a matching token can still be valid: the
 * longest token lifetime (`AUTH_SERVICE_MAX_TOKEN_LIFETIME`) plus the clock
 * tolerance, counted from now (from `before` for a subject).
 *
 * `before` is epoch seconds or a Date; its default is now by this server's
 * clock, rounded up to the second (a token issued during the call's second
 * is revoked too). Pass the issuer's time when you have it.
 *
 * @example
 * ```ts
 * // BetterAuth: end the app's view of a session when BetterAuth deletes it.
 * databaseHooks: { session: { delete: { after: async (session) => { await revoke({ sid: session.id }); } } } }
 * await revoke({ sub: user.id }); // a ban or a password change: every token issued so far
 * ```
 */
export async function revoke(target: RevokeTarget, options: RevokeOptions = {}): Promise<Revocation> {
  const container = options.container ?? oidcContainer;
  const config = container.resolve(TOKENS.ConfigService).get();
  const now = container.resolve(TOKENS.Clock).now();
  const revocation = revocationFor(subjectOf(target, now), options.iss ?? config.issuer, now, config);
  await container.resolve(TOKENS.RevocationStore).add(revocation);
  return revocation;
}

function subjectOf(target: RevokeTarget, now: number): RevocationSubject {
  if (target === null || typeof target !== "object") throw new TypeError("revoke(): pass { jti }, { sid } or { sub, before? }");
  const t = target as Record<string, unknown>;
  const given = (["jti", "sid", "sub"] as const).filter((key) => t[key] !== undefined);
  if (given.length !== 1) throw new TypeError("revoke(): pass exactly one of { jti }, { sid } or { sub, before? }");
  const key = given[0] as "jti" | "sid" | "sub";
  const value = t[key];
  if (typeof value !== "string" || value === "") throw new TypeError(`revoke(): ${key} must be a non-empty string`);
  if (key !== "sub" && t.before !== undefined) throw new TypeError("revoke(): before only goes with { sub }");
  if (key === "jti") return { jti: value };
  if (key === "sid") return { sid: value };
  const before = t.before === undefined ? Math.ceil(now / 1000) : t.before instanceof Date ? t.before.getTime() / 1000 : t.before;
  if (typeof before !== "number" || !Number.isFinite(before)) throw new TypeError("revoke(): before must be epoch seconds or a Date");
  return { sub: value, before };
}
