import { inject, injectable } from "tsyringe";
import type { Logger } from "pino";
import { AUTH_REVOKED_EVENT, sessionRoom, subjectRoom, tokenRoom, userRoom, type AuthRevokedNotice } from "../../socketProtocol.js";
import { TOKENS } from "../../tokens.js";
import type { Revocation } from "./RevocationStore.js";
import type { LocalSocket, SocketServerRegistry } from "./SocketServerRegistry.js";

/** Whose sockets to cut: the token subject, the local user id the provisioner gave, or the token's session id (`sid`). */
export type RevocationTarget = { sub: string } | { userId: string } | { sid: string };

export interface RevocationOptions {
  /** Client-safe text sent with `auth:revoked` (default: "Your session was revoked"). */
  message?: string;
}

/** Disconnects every live socket of a user, on every node. */
export interface SessionRevoker {
  revoke(target: RevocationTarget, options?: RevocationOptions): Promise<void>;
  /**
   * Cuts this node's live sockets that a new `revocation` may concern and
   * that `refuses` (the revocation check on the socket's current token)
   * now refuses; resolves with how many. Every node runs it for every
   * revocation (`RevocationStore.onRevoked`), so it never goes through the
   * adapter.
   */
  revokeMatching(revocation: Revocation, refuses: (socket: LocalSocket) => boolean, options?: RevocationOptions): Promise<number>;
}

/** What `auth:revoked` says unless the caller gives a message. */
export const DEFAULT_REVOKED_MESSAGE = "Your session was revoked";

/**
 * The default revoker, built on the rooms every authenticated socket joins
 * (`subjectRoom(sub)`, `userRoom(userId)`, and `sessionRoom(sid)`,
 * `tokenRoom(jti)` when its token has them): in every namespace of every
 * known Socket.IO server it emits `auth:revoked` to the user's room, then
 * disconnects the room's sockets. Both go through the Socket.IO adapter,
 * so with a multi-node adapter (Redis, cluster, Postgres…) they reach the
 * user's sockets on every node; the package adds no cluster machinery.
 *
 * Sockets are disconnected at the namespace level (`disconnectSockets(false)`):
 * the client is told "io server disconnect" and, unlike after a transport
 * close, does not reconnect on its own.
 *
 * `revoke` cuts live sockets only; to keep the user out, revoke their
 * tokens (`revoke()` from the package, which ends here through
 * `revokeMatching`) or make the provisioner report the account disabled.
 */
@injectable()
export class RoomSessionRevoker implements SessionRevoker {
  constructor(
    @inject(TOKENS.SocketServerRegistry) private readonly servers: SocketServerRegistry,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  async revoke(target: RevocationTarget, options: RevocationOptions = {}): Promise<void> {
    const { room, who } = roomOf(target);
    const notice: AuthRevokedNotice = { message: options.message ?? DEFAULT_REVOKED_MESSAGE };
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

  async revokeMatching(revocation: Revocation, refuses: (socket: LocalSocket) => boolean, options: RevocationOptions = {}): Promise<number> {
    const room = revocation.kind === "jti" ? tokenRoom(revocation.jti) : revocation.kind === "sid" ? sessionRoom(revocation.sid) : subjectRoom(revocation.sub);
    const notice: AuthRevokedNotice = { message: options.message ?? DEFAULT_REVOKED_MESSAGE };
    let cut = 0;
    for (const namespace of this.servers.namespaces()) {
      const members = namespace.adapter?.rooms.get(room);
      if (members === undefined || namespace.sockets === undefined) continue;
      // A copy: a disconnect leaves the room while we walk it.
      for (const id of [...members]) {
        const socket = namespace.sockets.get(id);
        if (socket === undefined || !refuses(socket)) continue;
        socket.emit(AUTH_REVOKED_EVENT, notice);
        socket.disconnect();
        cut += 1;
      }
    }
    if (cut > 0) this.logger.info({ kind: revocation.kind, iss: revocation.iss, sockets: cut }, "sessions revoked");
    return cut;
  }
}

function roomOf(target: RevocationTarget): { room: string; who: Record<string, string> } {
  const value = (key: "sub" | "userId" | "sid"): string | undefined => {
    const v = (target as Record<string, unknown> | null)?.[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || v === "") throw new TypeError(`revoke(): ${key} must be a non-empty string`);
    return v;
  };
  const sub = value("sub");
  const userId = value("userId");
  const sid = value("sid");
  const given = [sub, userId, sid].filter((v) => v !== undefined).length;
  if (given !== 1) throw new TypeError("revoke(): pass exactly one of { sub }, { userId } or { sid }");
  if (sub !== undefined) return { room: subjectRoom(sub), who: { sub } };
  if (userId !== undefined) return { room: userRoom(userId), who: { userId } };
  return { room: sessionRoom(sid as string), who: { sid: sid as string } };
}
