import { inject, injectable } from "tsyringe";
import type { Logger } from "pino";
import { TOKENS, type AppHandle } from "../tokens.js";
import type { LocalUser, UserProfile } from "../types.js";

/**
 * Maps a verified subject to a local user, creating it on first sight.
 * Return `null`/`undefined` when there is no local user store: `userId`
 * then falls back to `sub`. Throwing refuses the request with
 * `ERR_USER_PROVISION_FAILED`; `isDisabled: true` with `ERR_USER_DISABLED`.
 * The pipeline checks the answer's shape (see `checkProvisionedUser`).
 */
export interface UserProvisioner {
  findOrCreate(sub: string, profile: UserProfile): Promise<LocalUser | null | undefined> | LocalUser | null | undefined;
}

/** The appHandles already warned about a `user` manager, so the warning comes once per app however many routes it has. */
const warned = new WeakSet<object>();

/**
 * The default: adapts `appHandle.users.findOrCreate` when the host app has
 * it, else does nothing. A manager registered as `user` (singular) with a
 * `findOrCreate` is not used, as in 0.1.x, but warned about once: the app
 * almost certainly meant `users`, and its accounts are not being checked.
 */
@injectable()
export class AppHandleUserProvisioner implements UserProvisioner {
  constructor(
    @inject(TOKENS.AppHandle) private readonly appHandle: AppHandle,
    @inject(TOKENS.Logger) private readonly logger?: Logger,
  ) {
    // Built when IOServer hands a middleware its appHandle (startup); checked again on lookups for managers added later.
    this.warnAboutSingularManager();
  }

  async findOrCreate(sub: string, profile: UserProfile): Promise<LocalUser | null | undefined> {
    const users = this.appHandle.users;
    if (typeof users?.findOrCreate !== "function") {
      this.warnAboutSingularManager();
      return undefined;
    }
    return (await users.findOrCreate(sub, { ...profile })) as LocalUser | null | undefined;
  }

  private warnAboutSingularManager(): void {
    const { users, user } = this.appHandle as { users?: { findOrCreate?: unknown }; user?: { findOrCreate?: unknown } };
    if (typeof users?.findOrCreate === "function" || typeof user?.findOrCreate !== "function" || warned.has(this.appHandle)) return;
    warned.add(this.appHandle);
    this.logger?.warn(
      { manager: "user" },
      'a manager named "user" has findOrCreate, but users are provisioned from the manager named "users": register it as "users", or no account is provisioned or checked',
    );
  }
}
