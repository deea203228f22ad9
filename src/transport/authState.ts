import type { AccessRequirement } from "../services/AccessRequirement.js";
import type { AuthResult } from "../services/AuthPipeline.js";
import { safeCopy } from "../services/verification/claims.js";
import type { AuthenticatedUserContext, OidcFeatures } from "../types.js";

/**
 * Where the authentication middleware leaves its result for the guards
 * after it; a symbol so no client-controlled data can collide with it.
 */
const AUTH_STATE = Symbol.for("ioserver-oidc.auth");
/** The requirements of the socket guards that admitted a socket, re-checked when it re-authenticates. */
const ADMISSIONS = Symbol.for("ioserver-oidc.admissions");

type Carrier = object & { [AUTH_STATE]?: AuthResult; [ADMISSIONS]?: AccessRequirement[] };

/**
 * A copy of a recorded context for code outside the package. The recorded
 * one is only ever read by the guards; handing out copies (rather than
 * freezing it on every request) keeps it as authenticated whatever a
 * handler does with what it got.
 */
export function copyContext(context: AuthenticatedUserContext): AuthenticatedUserContext {
  const { sub, iss, userId, userRole, roles, permissions, scopes, features, email, name, org_id } = context;
  const copy: AuthenticatedUserContext = {
    sub,
    iss,
    userId,
    userRole,
    roles: [...roles],
    permissions: [...permissions],
    scopes: [...scopes],
    features: safeCopy(features) as OidcFeatures,
    email,
    name,
  };
  if (org_id !== undefined) copy.org_id = org_id;
  return copy;
}

/** Puts a copy of the context fields on the request/socket and records the full result for guards and `getAuth`. */
export function attachAuth(target: object, result: AuthResult): void {
  const copy = copyContext(result.context);
  // A socket re-authenticated with a token without org_id must not keep the previous token's.
  if (copy.org_id === undefined) delete (target as { org_id?: string }).org_id;
  Object.assign(target, copy);
  (target as Carrier)[AUTH_STATE] = result;
}

/** The result an authentication middleware attached, if one ran and succeeded. */
export function readAuth(target: object): AuthResult | undefined {
  return (target as Carrier)[AUTH_STATE];
}

/** Records that a guard admitted the socket under `requirement`: a new token must still meet it. */
export function recordAdmission(socket: object, requirement: AccessRequirement): void {
  const carrier = socket as Carrier;
  (carrier[ADMISSIONS] ??= []).push(requirement);
}

/** The requirements the socket was admitted under (empty when no guard ran). */
export function admissionsOf(socket: object): readonly AccessRequirement[] {
  return (socket as Carrier)[ADMISSIONS] ?? [];
}
