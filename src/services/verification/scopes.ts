import type { VerifiedClaims } from "../../types.js";

/**
 * The scopes a token grants, from either claim issuers use:
 *
 * - `scope`: a space-delimited string (RFC 9068 §2.2.3, RFC 8693 §4.2;
 *   BetterAuth's oauth-provider, panva oidc-provider, Keycloak, Auth0).
 * - `scp`: an array of strings (Okta) or a space-delimited string (Azure AD / Entra ID).
 *
 * A claim of any other shape (a number, an object, an array holding
 * anything but strings, or `scope` as an array) grants nothing: a
 * malformed grant is not partly trusted. Both claims present: the union.
 * Empty names (doubled spaces) are dropped, duplicates kept once, the
 * order of first appearance kept.
 */
export function scopesFromClaims(claims: VerifiedClaims): string[] {
  const { scope, scp } = claims;
  if (scope === undefined && scp === undefined) return [];
  const found = new Set<string>();
  if (typeof scope === "string") addNames(found, scope);
  if (typeof scp === "string") addNames(found, scp);
  else if (Array.isArray(scp) && scp.every((item) => typeof item === "string")) for (const item of scp as string[]) addNames(found, item);
  return [...found];
}

/** RFC 6749 §3.3: scope tokens are separated by spaces (%x20). */
function addNames(into: Set<string>, value: string): void {
  for (const name of value.split(" ")) if (name !== "") into.add(name);
}
