import type { UserProvisioner } from "../services/UserProvisioner.js";
import type { LocalUser, UserProfile } from "../types.js";

/** A user of the in-memory store. */
export interface InMemoryUser {
  sub: string;
  /** Local id (default: the next number, as a database would give). */
  id?: string | number;
  /** Local role: the context's `userRole` (and, with `AUTH_SERVICE_ROLE_SOURCE=local-first`, what role checks read). */
  role?: string;
  /** A disabled user is refused with `ERR_USER_DISABLED`: the same name as in `LocalUser`, which the provisioner answers. */
  isDisabled?: boolean;
}

export interface InMemoryUserProvisionerOptions {
  /** Create unknown subjects on first sight, like the default store does (default true). When false they get no local user: `userId` falls back to `sub`. */
  createUnknown?: boolean;
}

/** A stored user as `get()` returns it. */
export interface InMemoryUserRecord {
  sub: string;
  id: string | number;
  role: string | undefined;
  isDisabled: boolean;
  /** The profile of the last `findOrCreate` for this subject, if any. */
  profile: UserProfile | undefined;
}

/**
 * A `UserProvisioner` over a Map: users with roles and disabled flags,
 * seeded up front or changed during a test, and a record of which
 * subjects were provisioned with which profile.
 *
 * @example
 * ```ts
 * const users = new InMemoryUserProvisioner([
 *   { sub: "alice", id: 1, role: "admin" },
 *   { sub: "mallory", isDisabled: true },
 * ]);
 * users.disable("alice");
 * ```
 */
export class InMemoryUserProvisioner implements UserProvisioner {
  /** Every subject `findOrCreate` was called with, in order. */
  readonly lookups: string[] = [];
  private readonly users = new Map<string, InMemoryUserRecord>();
  private nextId = 1;
  private readonly createUnknown: boolean;

  constructor(users: Iterable<InMemoryUser> = [], options: InMemoryUserProvisionerOptions = {}) {
    this.createUnknown = options.createUnknown ?? true;
    for (const user of users) this.add(user);
  }

  /** Adds (or replaces) a user. */
  add(user: InMemoryUser): void {
    if (typeof user.sub !== "string" || user.sub === "") throw new TypeError("InMemoryUserProvisioner: a user needs a non-empty `sub`");
    // Untyped callers: a seed saying `disabled: true` must not give an enabled user.
    if ("disabled" in user) throw new TypeError("InMemoryUserProvisioner: the disabled flag is called `isDisabled`, not `disabled`");
    // Generated ids never collide with numeric ids given explicitly.
    if (typeof user.id === "number" && user.id >= this.nextId) this.nextId = Math.floor(user.id) + 1;
    this.users.set(user.sub, {
      sub: user.sub,
      id: user.id ?? this.nextId++,
      role: user.role,
      isDisabled: user.isDisabled ?? false,
      profile: this.users.get(user.sub)?.profile,
    });
  }

  /** Marks a user disabled: their next request or connection is refused. */
  disable(sub: string): void {
    this.require(sub).isDisabled = true;
  }

  enable(sub: string): void {
    this.require(sub).isDisabled = false;
  }

  /** Changes a user's local role. */
  setRole(sub: string, role: string | undefined): void {
    this.require(sub).role = role;
  }

  /** A copy of the stored user, or undefined. */
  get(sub: string): InMemoryUserRecord | undefined {
    const user = this.users.get(sub);
    return user && { ...user, profile: user.profile && { ...user.profile } };
  }

  /** Number of stored users. */
  get size(): number {
    return this.users.size;
  }

  findOrCreate(sub: string, profile: UserProfile): LocalUser | undefined {
    this.lookups.push(sub);
    let user = this.users.get(sub);
    if (!user) {
      if (!this.createUnknown) return undefined;
      this.add({ sub });
      user = this.require(sub);
    }
    user.profile = { ...profile };
    return { id: user.id, role: user.role, isDisabled: user.isDisabled };
  }

  private require(sub: string): InMemoryUserRecord {
    const user = this.users.get(sub);
    if (!user) throw new Error(`InMemoryUserProvisioner: no user "${sub}"`);
    return user;
  }
}
