/**
 * One copy of the short strings that recur from token to token. A cached
 * verification keeps its claims, and most of their bytes are names every
 * token repeats (permissions, roles, audiences, the issuer): parsed from
 * each token's JSON, each entry would hold its own copies. Handing every
 * entry the same string instances keeps a ~1 KB token's entry under 1 KiB.
 *
 * Only strings inside arrays and the values of `iss`, `aud`, `azp`,
 * `client_id` and `scope` are shared: those recur, where `sub`, `jti` or
 * `email` differ per token and would only fill the table. The table keeps
 * the first `MAX_SHARED` strings it meets and then stops growing, so its
 * memory is bounded whatever tokens arrive (and only verified tokens reach
 * it).
 */
const MAX_SHARED = 4096;
const MAX_LENGTH = 128;
const SHARED_FIELDS = ["iss", "aud", "azp", "client_id", "scope"];

const table = new Map<string, string>();

function share(value: string): string {
  if (value.length > MAX_LENGTH) return value;
  const known = table.get(value);
  if (known !== undefined) return known;
  if (table.size < MAX_SHARED) table.set(value, value);
  return value;
}

function shareArray(values: unknown[]): void {
  for (let i = 0; i < values.length; i++) {
    const item = values[i];
    if (typeof item === "string") values[i] = share(item);
  }
}

/** Replaces recurring strings of a freshly parsed (not yet frozen) payload by shared instances, in place. */
export function shareRecurringStrings(payload: Record<string, unknown>): void {
  for (const field of SHARED_FIELDS) {
    const value = payload[field];
    if (typeof value === "string") payload[field] = share(value);
  }
  for (const value of Object.values(payload)) if (Array.isArray(value)) shareArray(value);
}
