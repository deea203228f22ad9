import type { AccessRequirement } from "../services/AccessRequirement.js";
import type { AuthResult } from "../services/AuthPipeline.js";

/**
 * Where the authentication middleware leaves its result for the guards
 * after it; a symbol so no client-controlled data can collide with it.
 */
const AUTH_STATE = Symbol.for("ioserver-oidc.auth");
/** The requirements of the socket guards that admitted a socket, re-checked when it re-authenticates. */
const ADMISSIONS = Symbol.for("ioserver-oidc.admissions");

type Carrier = object & { [AUTH_STATE]?: AuthResult; [ADMISSIONS]?: AccessRequirement[] };

/**
 * Puts the context fields on the request/socket and keeps the full result
 * for guards and `getAuth`. The public fields get their own copies: a
 * handler may edit them, the recorded identity stays as authenticated.
 */
export function attachAuth(target: object, result: AuthResult): void {
  const { roles, permissions, features } = result.context;
  Object.assign(target, result.context, { roles: [...roles], permissions: [...permissions], features: structuredClone(features) });
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
