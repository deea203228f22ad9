/**
 * Example 3, the app: a small notes app. Its middlewares come in as a
 * parameter (the package's own classes by default), which is all its tests
 * need to run it against fakes: see app.test.ts.
 */
import { fileURLToPath } from "node:url";
import { BaseController, BaseManager, BaseService, IOServer } from "ioserver";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Socket } from "socket.io";
import {
  getAuth,
  OidcConfigManager,
  OidcHttpMiddleware,
  OidcSocketAdminMiddleware,
  OidcSocketMiddleware,
  type BoundOidcClasses,
} from "ioserver-oidc";

/** Notes per user id, one store per server. */
export class NotesManager extends BaseManager {
  private readonly notes = new Map<string, string[]>();

  of(userId: string): string[] {
    return this.notes.get(userId) ?? [];
  }

  add(userId: string, text: string): number {
    const notes = [...this.of(userId), text];
    this.notes.set(userId, notes);
    return notes.length;
  }

  get userCount(): number {
    return this.notes.size;
  }
}

export class NotesController extends BaseController {
  async list(request: FastifyRequest, reply: FastifyReply) {
    const { userId } = getAuth(request);
    return reply.send({ userId, notes: (this.appHandle.notes as NotesManager).of(userId) });
  }
}

export class NotesService extends BaseService {
  async add(socket: Socket, text: unknown, callback?: (reply: unknown) => void) {
    if (typeof text !== "string") return callback?.({ error: "text must be a string" });
    callback?.({ count: (this.appHandle.notes as NotesManager).add(getAuth(socket).userId, text) });
  }
}

export class StatsService extends BaseService {
  async stats(_socket: Socket, _data: unknown, callback?: (reply: unknown) => void) {
    callback?.({ users: (this.appHandle.notes as NotesManager).userCount });
  }
}

// #region injectable-middlewares
const packageClasses: BoundOidcClasses = { OidcConfigManager, OidcHttpMiddleware, OidcSocketMiddleware, OidcSocketAdminMiddleware };

/** Starts the app on 127.0.0.1:`port`; `oidc` defaults to the package's classes (configured from AUTH_SERVICE_*). */
export async function startNotesApp(port: number, oidc: BoundOidcClasses = packageClasses): Promise<IOServer> {
  const server = new IOServer({ host: "127.0.0.1", port, routes: fileURLToPath(new URL("./routes", import.meta.url)), verbose: "ERROR" });
  server.addManager({ name: "oidcConfig", manager: oidc.OidcConfigManager });
  server.addManager({ name: "notes", manager: NotesManager });
  server.addController({ name: "notes", controller: NotesController, middlewares: [oidc.OidcHttpMiddleware], prefix: "/notes" });
  server.addService({ name: "notes", service: NotesService, middlewares: [oidc.OidcSocketMiddleware] });
  server.addService({ name: "stats", service: StatsService, middlewares: [oidc.OidcSocketMiddleware, oidc.OidcSocketAdminMiddleware] });
  await server.start();
  return server;
}
// #endregion injectable-middlewares
