import { ERR_USER_PROVISION_FAILED, OidcError } from "../errors.js";
import type { LocalUser } from "../types.js";

/**
 * Field names that read like an account state but are not `isDisabled`,
 * compared lowercased with `_`/`-` removed (so `is_banned`, `IsBanned` and
 * `isBanned` are one name). A provisioner answering `{ id, disabled: true }`
 * means a disabled account; reading it as an enabled one would let the
 * caller in, so such an answer is refused whatever the field's value, and
 * the mistake shows on the first request instead of the first ban.
 */
export const ACCOUNT_STATE_ALIASES: readonly string[] = Object.freeze([
  "disabled", "isdisabled", "disabledat",
  "enabled", "isenabled",
  "active", "isactive", "inactive", "isinactive",
  "banned", "isbanned", "bannedat",
  "blocked", "isblocked", "blockedat",
  "suspended", "issuspended", "suspendedat",
  "locked", "islocked", "lockedat",
  "deactivated", "isdeactivated", "deactivatedat",
  "deleted", "isdeleted", "deletedat",
  "status", "accountstatus",
]);

const normalize = (name: string): string => name.toLowerCase().replace(/[_-]/g, "");

const refuse = (reason: string): OidcError => new OidcError(ERR_USER_PROVISION_FAILED, { reason: `provisioner answer refused: ${reason}` });

const kindOf = (value: unknown): string => (value === null ? "null" : Array.isArray(value) ? "an array" : typeof value);

/**
 * Checks what a `UserProvisioner.findOrCreate` answered, failing closed:
 *
 * - `null`/`undefined`: no local user (`userId` falls back to `sub`);
 * - else a plain object with `id` a non-empty string or a finite number,
 *   `role` a string, `null` or absent, `isDisabled` a boolean, `0`/`1`
 *   (SQLite and other stores without booleans), `null` or absent;
 * - no field named like another account state (`ACCOUNT_STATE_ALIASES`).
 *
 * Anything else throws `ERR_USER_PROVISION_FAILED` whose reason names the
 * field. Other fields (email, timestamps, …) are ignored.
 */
export function checkProvisionedUser(answer: unknown): LocalUser | undefined {
  if (answer === null || answer === undefined) return undefined;
  if (typeof answer !== "object" || Array.isArray(answer)) throw refuse(`expected { id, role?, isDisabled? } or null, got ${kindOf(answer)}`);
  const user = answer as Record<string, unknown>;
  for (const field of Object.keys(user)) {
    if (field !== "isDisabled" && ACCOUNT_STATE_ALIASES.includes(normalize(field))) {
      throw refuse(`field "${field}" reads like an account state: report it as "isDisabled" (true refuses the user)`);
    }
  }
  const { id, role, isDisabled } = user;
  if (!((typeof id === "string" && id !== "") || (typeof id === "number" && Number.isFinite(id)))) {
    throw refuse(`field "id" must be a non-empty string or a finite number, got ${id === "" ? "an empty string" : kindOf(id)}`);
  }
  if (role !== undefined && role !== null && typeof role !== "string") throw refuse(`field "role" must be a string, got ${kindOf(role)}`);
  if (isDisabled !== undefined && isDisabled !== null && typeof isDisabled !== "boolean" && isDisabled !== 0 && isDisabled !== 1) {
    throw refuse(`field "isDisabled" must be true or false (or 1/0), got ${typeof isDisabled === "number" ? String(isDisabled) : kindOf(isDisabled)}`);
  }
  return { id, role: typeof role === "string" ? role : undefined, isDisabled: isDisabled === true || isDisabled === 1 };
}
