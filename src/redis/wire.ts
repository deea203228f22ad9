import type { Revocation } from "../services/sessions/RevocationStore.js";

/**
 * How a revocation is written in Redis: a sorted-set member naming what is
 * revoked (a JSON array in a fixed order, so the same revocation is always
 * the same member) and its `expiresAt` as the score. Pub/sub messages carry
 * `[member, expiresAt]` pairs.
 */
export function memberOf(revocation: Revocation): string {
  switch (revocation.kind) {
    case "jti":
      return JSON.stringify(["jti", revocation.iss, revocation.jti]);
    case "sid":
      return JSON.stringify(["sid", revocation.iss, revocation.sid]);
    case "sub":
      return JSON.stringify(["sub", revocation.iss, revocation.sub, revocation.before]);
  }
}

/** The revocation a member and score stand for, or undefined for anything malformed (never thrown: it comes off the network). */
export function revocationOf(member: unknown, expiresAt: unknown): Revocation | undefined {
  if (typeof member !== "string" || typeof expiresAt !== "number" || !Number.isFinite(expiresAt)) return undefined;
  let parts: unknown;
  try {
    parts = JSON.parse(member);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parts)) return undefined;
  const [kind, iss, id, before] = parts as unknown[];
  if (!nonEmpty(iss) || !nonEmpty(id)) return undefined;
  if (kind === "jti" && parts.length === 3) return { kind, iss, jti: id, expiresAt };
  if (kind === "sid" && parts.length === 3) return { kind, iss, sid: id, expiresAt };
  if (kind === "sub" && parts.length === 4 && typeof before === "number" && Number.isFinite(before)) return { kind, iss, sub: id, before, expiresAt };
  return undefined;
}

/** The pub/sub payload for some revocations. */
export function encodeMessage(revocations: readonly Revocation[]): string {
  return JSON.stringify(revocations.map((r) => [memberOf(r), r.expiresAt]));
}

/** The revocations in a pub/sub payload, and how many of its entries were malformed. */
export function decodeMessage(payload: string): { revocations: Revocation[]; malformed: number } {
  let entries: unknown;
  try {
    entries = JSON.parse(payload);
  } catch {
    return { revocations: [], malformed: 1 };
  }
  if (!Array.isArray(entries)) return { revocations: [], malformed: 1 };
  const revocations: Revocation[] = [];
  let malformed = 0;
  for (const entry of entries) {
    const revocation = Array.isArray(entry) ? revocationOf(entry[0], entry[1]) : undefined;
    if (revocation) revocations.push(revocation);
    else malformed += 1;
  }
  return { revocations, malformed };
}

const nonEmpty = (v: unknown): v is string => typeof v === "string" && v !== "";
