import { inject, injectable } from "tsyringe";
import type { Logger } from "pino";
import { AUTH_REVOKED_EVENT, subjectRoom, userRoom, type AuthRevokedNotice } from "../../socketProtocol.js";
import { TOKENS } from "../../tokens.js";
import type { SocketServerRegistry } from "./SocketServerRegistry.js";

/** Whose sockets to cut: the token subject, or the local user id the provisioner gave. */
export type RevocationTarget = { sub: string } | { userId: string };

export interface RevocationOptions {
  /** Client-safe text sent with `auth:revoked` (default: "Your session was revoked"). */
  message?: string;
}

/** Disconnects every live socket of a user, on every node. */
export interface SessionRevoker {
  revoke(target: RevocationTarget, options?: RevocationOptions): Promise<void>;
}

const DEFAULT_MESSAGE = "Your session was revoked";

/**
 * The default revoker, built on the rooms every authenticated socket joins
 * (`subjectRoom(sub)`, `userRoom(userId)`): in every namespace of every
 * known Socket.IO server it emits `auth:revoked` to the user's room, then
 * disconnects the room's sockets. Both go through the Socket.IO adapter,
 * so with a multi-node adapter (Redis, cluster, Postgres…) they reach the
 * user's sockets on every node; the package adds no cluster machinery.
 *
 * Sockets are disconnected at the namespace level (`disconnectSockets(false)`):
 * the client is told "io server disconnect" and, unlike after a transport
 * close, does not reconnect on its own.
 *
 * Revocation cuts live sockets only; to keep the user out, make the
 * provisioner report the account disabled first (see README).
 */
@injectable()
export class RoomSessionRevoker implements SessionRevoker {
  constructor(
    @inject(TOKENS.SocketServerRegistry) private readonly servers: SocketServerRegistry,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  async revoke(target: RevocationTarget, options: RevocationOptions = {}): Promise<void> {
    const { room, who } = roomOf(target);
    const notice: AuthRevokedNotice = { message: options.message ?? DEFAULT_MESSAGE };
    let namespaces = 0;
    for (const namespace of this.servers.namespaces()) {
      // Emitted first: on each node the notice is queued on the socket before its disconnect packet.
      namespace.in(room).emit(AUTH_REVOKED_EVENT, notice);
      namespace.in(room).disconnectSockets(false);
      namespaces += 1;
    }
    if (namespaces === 0) this.logger.warn(who, "sessions not revoked: no Socket.IO server known to this container yet");
    else this.logger.info({ ...who, namespaces }, "sessions revoked");
  }
}

function roomOf(target: RevocationTarget): { room: string; who: Record<string, string> } {
  const value = (key: "sub" | "userId"): string | undefined => {
    const v = (target as Record<string, unknown> | null)?.[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || v === "") throw new TypeError(`revoke(): ${key} must be a non-empty string`);
    return v;
  };
  const sub = value("sub");
  const userId = value("userId");
  if ((sub === undefined) === (userId === undefined)) throw new TypeError("revoke(): pass exactly one of { sub } or { userId }");
  return sub !== undefined ? { room: subjectRoom(sub), who: { sub } } : { room: userRoom(userId as string), who: { userId: userId as string } };
}
