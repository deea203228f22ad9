import type { LocalUser, UserProfile, UserProvisioner } from "ioserver-oidc";

/** A user row of the host app. */
export interface User {
  id: number;
  sub: string;
  email?: string;
  role: "admin" | "member";
  disabled: boolean;
}

/**
 * The host app's user store (in memory here; a database in a real app),
 * made the package's provisioner: it creates members on first sight, and
 * its roles and disabled flags decide who gets in.
 */
export class UserStore implements UserProvisioner {
  private readonly bySub = new Map<string, User>();

  constructor(seed: Omit<User, "id">[] = []) {
    for (const user of seed) this.insert(user);
  }

  findOrCreate(sub: string, profile: UserProfile): LocalUser {
    const user = this.bySub.get(sub) ?? this.insert({ sub, email: profile.email ?? undefined, role: "member", disabled: false });
    return { id: user.id, role: user.role, isDisabled: user.disabled };
  }

  find(sub: string): User | undefined {
    return this.bySub.get(sub);
  }

  private insert(user: Omit<User, "id">): User {
    const row = { ...user, id: this.bySub.size + 1 };
    this.bySub.set(row.sub, row);
    return row;
  }
}
