import type { RevocableClaims, Revocation } from "../services/sessions/RevocationStore.js";

/**
 * One node's in-process copy of the shared revocations: what `isRevoked`
 * reads on the hot path (a few map look-ups, no network). Entries are
 * forgotten once past their `expiresAt`.
 */
export class RevocationMirror {
  /** `iss` NUL `jti` → expiresAt. */
  private readonly jtis = new Map<string, number>();
  /** `iss` NUL `sid` → expiresAt. */
  private readonly sids = new Map<string, number>();
  /** `iss` NUL `sub` → before (epoch s) → expiresAt. */
  private readonly subs = new Map<string, Map<number, number>>();

  /**
   * Records `revocation`; returns true when it revokes something the mirror
   * did not already revoke (a new id, or a later `before`), so listeners
   * hear of each revocation once however many times it arrives.
   */
  apply(revocation: Revocation, nowMs: number): boolean {
    if (revocation.expiresAt <= nowMs) return false;
    if (revocation.kind === "sub") {
      const key = pair(revocation.iss, revocation.sub);
      let befores = this.subs.get(key);
      const widens = revocation.before > this.latestBefore(befores, nowMs);
      if (!befores) this.subs.set(key, (befores = new Map()));
      befores.set(revocation.before, Math.max(befores.get(revocation.before) ?? 0, revocation.expiresAt));
      return widens;
    }
    const map = revocation.kind === "jti" ? this.jtis : this.sids;
    const key = pair(revocation.iss, revocation.kind === "jti" ? revocation.jti : revocation.sid);
    const known = map.get(key);
    map.set(key, Math.max(known ?? 0, revocation.expiresAt));
    return known === undefined || known <= nowMs;
  }

  isRevoked(claims: RevocableClaims, nowMs: number): boolean {
    if (typeof claims.jti === "string" && live(this.jtis.get(pair(claims.iss, claims.jti)), nowMs)) return true;
    if (typeof claims.sid === "string" && live(this.sids.get(pair(claims.iss, claims.sid)), nowMs)) return true;
    const befores = this.subs.get(pair(claims.iss, claims.sub));
    if (!befores) return false;
    const before = this.latestBefore(befores, nowMs);
    if (before === -Infinity) return false;
    // A token without a usable iat cannot show it was issued after the cut-off: refused (fail closed).
    return typeof claims.iat !== "number" || !Number.isFinite(claims.iat) || claims.iat < before;
  }

  /** Every live entry, as revocations (what a node writes back to Redis after Redis lost its data). */
  *entries(nowMs: number): Iterable<Revocation> {
    for (const [key, expiresAt] of this.jtis) if (expiresAt > nowMs) yield { kind: "jti", ...unpair(key, "jti"), expiresAt } as Revocation;
    for (const [key, expiresAt] of this.sids) if (expiresAt > nowMs) yield { kind: "sid", ...unpair(key, "sid"), expiresAt } as Revocation;
    for (const [key, befores] of this.subs) {
      const { iss, sub } = unpair(key, "sub");
      for (const [before, expiresAt] of befores) if (expiresAt > nowMs) yield { kind: "sub", iss, sub, before, expiresAt };
    }
  }

  /** Drops expired entries, so the mirror stays as small as the set of revocations that still matter. */
  prune(nowMs: number): void {
    for (const map of [this.jtis, this.sids]) for (const [key, expiresAt] of map) if (expiresAt <= nowMs) map.delete(key);
    for (const [key, befores] of this.subs) {
      for (const [before, expiresAt] of befores) if (expiresAt <= nowMs) befores.delete(before);
      if (befores.size === 0) this.subs.delete(key);
    }
  }

  get size(): number {
    let subs = 0;
    for (const befores of this.subs.values()) subs += befores.size;
    return this.jtis.size + this.sids.size + subs;
  }

  private latestBefore(befores: Map<number, number> | undefined, nowMs: number): number {
    let latest = -Infinity;
    if (befores) for (const [before, expiresAt] of befores) if (expiresAt > nowMs && before > latest) latest = before;
    return latest;
  }
}

const live = (expiresAt: number | undefined, nowMs: number): boolean => expiresAt !== undefined && expiresAt > nowMs;
// NUL cannot occur in a JSON string claim a verifier accepted as an issuer URL, and it keeps the two parts apart.
const pair = (iss: string, id: string): string => `${iss}\u0000${id}`;
function unpair<K extends string>(key: string, name: K): { iss: string } & Record<K, string> {
  const at = key.indexOf("\u0000");
  return { iss: key.slice(0, at), [name]: key.slice(at + 1) } as { iss: string } & Record<K, string>;
}
