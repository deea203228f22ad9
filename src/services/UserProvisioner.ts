import { inject, injectable } from "tsyringe";
import { TOKENS, type AppHandle } from "../tokens.js";
import type { LocalUser, UserProfile } from "../types.js";

/**
 * Maps a verified subject to a local user, creating it on first sight.
 * Return `null`/`undefined` when there is no local user store: `userId`
 * then falls back to `sub`. Throwing refuses the request with
 * `ERR_USER_PROVISION_FAILED`; `isDisabled: true` with `ERR_USER_DISABLED`.
 */
export interface UserProvisioner {
  findOrCreate(sub: string, profile: UserProfile): Promise<LocalUser | null | undefined> | LocalUser | null | undefined;
}

/** The default: adapts `appHandle.users.findOrCreate` when the host app has it, else does nothing. */
@injectable()
export class AppHandleUserProvisioner implements UserProvisioner {
  constructor(@inject(TOKENS.AppHandle) private readonly appHandle: AppHandle) {}

  async findOrCreate(sub: string, profile: UserProfile): Promise<LocalUser | null | undefined> {
    const users = this.appHandle.users;
    if (typeof users?.findOrCreate !== "function") return undefined;
    return (await users.findOrCreate(sub, { ...profile })) as LocalUser | null | undefined;
  }
}
