import { inject, injectable } from "tsyringe";
import { TOKENS, type AppHandle } from "../../tokens.js";

/** Keeps track of which sockets belong to which user (e.g. to push to, or cut off, a user). */
export interface SocketSessionRegistrar {
  register(userId: string, socketId: string, sub: string): void | Promise<void>;
  unregister(userId: string, socketId: string): void | Promise<void>;
}

/**
 * The default: adapts `appHandle.session` when present, else does nothing:
 * `registerSocket(userId, socketId, sub)` and `unregisterSocket(socketId, userId)`.
 * The socket id comes first on unregistration, as 0.1.x's guide has it
 * (`unregisterSocket(socketId)`), so a manager written from it forgets the socket.
 */
@injectable()
export class AppHandleSessionRegistrar implements SocketSessionRegistrar {
  constructor(@inject(TOKENS.AppHandle) private readonly appHandle: AppHandle) {}

  async register(userId: string, socketId: string, sub: string): Promise<void> {
    await this.appHandle.session?.registerSocket?.(userId, socketId, sub);
  }

  async unregister(userId: string, socketId: string): Promise<void> {
    await this.appHandle.session?.unregisterSocket?.(socketId, userId);
  }
}
