import type { AuthResult } from "../services/AuthPipeline.js";

/**
 * Where the authentication middleware leaves its result for the guards
 * after it; a symbol so no client-controlled data can collide with it.
 */
const AUTH_STATE = Symbol.for("ioserver-oidc.auth");

type Carrier = object & { [AUTH_STATE]?: AuthResult };

/** Puts the context fields on the request/socket and keeps the full result for guards. */
export function attachAuth(target: object, result: AuthResult): void {
  Object.assign(target, result.context);
  (target as Carrier)[AUTH_STATE] = result;
}

/** The result an authentication middleware attached, if one ran and succeeded. */
export function readAuth(target: object): AuthResult | undefined {
  return (target as Carrier)[AUTH_STATE];
}

/** Whether the authenticated user holds a role: the provisioner's role outranks the token's roles. */
export function holdsRole(auth: AuthResult, role: string): boolean {
  return auth.localRole !== undefined ? auth.localRole === role : auth.context.roles.includes(role);
}
