/* eslint-disable @typescript-eslint/no-unsafe-function-type, @typescript-eslint/no-explicit-any -- verbatim snippets of 0.1.4's guides */
// docs-site/content/docs/guides/*.md (protecting routes, user provisioning, error handling), verbatim.
import { IOServer, BaseController, BaseManager, BaseService, BaseWatcher } from "ioserver";
import { io } from "socket.io-client";
import { OidcConfigManager, OidcHttpMiddleware, OidcSocketAdminMiddleware, OidcSocketMiddleware } from "ioserver-oidc";

declare const server: IOServer;
declare class PublicController { constructor(appHandle: unknown) }
declare class ApiController { constructor(appHandle: unknown) }
declare class AnnouncementService { constructor(appHandle: unknown) }
declare class AppService { constructor(appHandle: unknown) }
declare class AdminPanelService { constructor(appHandle: unknown) }
/** The provisioning guide's database, left to the reader. */
declare const db: {
  users: {
    findOne(query: { sub: string }): Promise<{ id: string; role: string; isDisabled: boolean } | null>;
    create(record: Record<string, unknown>): Promise<{ id: string; role: string; isDisabled: boolean }>;
    update(query: { sub: string }, values: Record<string, unknown>): Promise<void>;
  };
};
declare const sub: string;

// ── 1.protecting-routes.md
// Public routes — no middleware
server.addController({
  name: "public",          // → routes/public.json
  controller: PublicController,
});

// Protected routes — JWT required
server.addController({
  name: "api",             // → routes/api.json
  controller: ApiController,
  middlewares: [OidcHttpMiddleware],
});

// No auth — e.g. public announcements
server.addService({
  name: "announcements",
  service: AnnouncementService,
});

// Any authenticated user
server.addService({
  name: "app",
  service: AppService,
  middlewares: [OidcSocketMiddleware],
});

// Admins only
server.addService({
  name: "panel",
  service: AdminPanelService,
  middlewares: [OidcSocketMiddleware, OidcSocketAdminMiddleware],
});

export class ProjectService extends BaseService {
  async deleteProject(socket: any, data: { id: string }, callback?: Function) {
    // Check a specific permission
    if (!socket.permissions.includes("projects.delete")) {
      if (callback) callback({ error: "ERR_FORBIDDEN" });
      return;
    }

    // Proceed with deletion…
    if (callback) callback({ deleted: data.id });
  }
}

export class ProjectController extends BaseController {
  async deleteProject(request: any, reply: any) {
    if (!request.permissions.includes("projects.delete")) {
      return reply.code(403).send({ error: "ERR_FORBIDDEN" });
    }

    reply.code(204).send();
  }
}

// "Accessing the manager from handlers": wrong for 0.1.4 too. ioserver 2.x gives controllers
// `this.appHandle`, not `this.app`, and no `getManager()` (TS2339 under any ioserver-oidc version).
export class DebugController extends BaseController {
  async oidcConfig(request: any, reply: any) {
    // @ts-expect-error -- BaseController has no `app` (wrong for 0.1.4 too)
    const mgr = this.app.getManager("oidcConfig") as OidcConfigManager;
    const config = mgr.getConfig();
    reply.send({ authServiceUrl: config.authServiceUrl });
  }
}

// The same through what ioserver 2.x does provide: the manager stored at appHandle.oidcConfig.
export class DebugControllerOnIOServer2 extends BaseController {
  async oidcConfig(request: any, reply: any) {
    const mgr = this.appHandle.oidcConfig as OidcConfigManager;
    const config = mgr.getConfig();
    reply.send({ authServiceUrl: config.authServiceUrl });
  }
}

export class ApiControllerOfTheGuide extends BaseController {
  async getData(request: any, reply: any) {
    const authHeader = request.headers.authorization;

    const result = await fetch("http://internal-service/data", {
      headers: { Authorization: authHeader },
    });

    reply.send(await result.json());
  }
}

// ── 2.user-provisioning.md
interface LocalUser {
  id: string;
  role: string;
  isDisabled: boolean;
}

class UsersManager extends BaseManager {
  async findOrCreate(
    sub: string,
    profile: { email: string | null; name: string | null },
  ): Promise<LocalUser> {
    // Look up the user by their OIDC sub claim
    let user = await db.users.findOne({ sub });

    if (!user) {
      // First access: create a new local record
      user = await db.users.create({
        sub,
        email: profile.email,
        name: profile.name,
        role: "user",
        isDisabled: false,
      });
    }

    return {
      id: user.id,
      role: user.role,
      isDisabled: user.isDisabled,
    };
  }
}

// Register BEFORE the OIDC middlewares are invoked
server.addManager({ name: "users", manager: UsersManager });

// Disable a user instantly
await db.users.update({ sub }, { isDisabled: true });
// Their next request will receive 403 before reaching any handler

class SessionManager extends BaseManager {
  private sockets = new Map<string, { userId: string; sub: string }>();

  registerSocket(userId: string, socketId: string, sub: string) {
    this.sockets.set(socketId, { userId, sub });
  }

  unregisterSocket(socketId: string) {
    this.sockets.delete(socketId);
  }

  getActiveSockets() {
    return [...this.sockets.entries()];
  }
}

server.addManager({ name: "session", manager: SessionManager });

// ── 3.error-handling.md
const socket = io("http://localhost:3000/app", { auth: { token: "<token>" } });

socket.on("connect_error", (err) => {
  switch (err.message) {
    case "ERR_AUTH_TOKEN_REQUIRED":
      // Redirect to login
      break;
    case "ERR_AUTH_TOKEN_INVALID":
      // Token expired — refresh and reconnect
      break;
    case "ERR_FORBIDDEN":
      // Not an admin — show access-denied UI
      break;
    default:
      console.error("Unexpected connection error:", err.message);
  }
});

// Server: record connection time
export class AuthService extends BaseService {
  async "connect:init"(socket: any, _data: unknown) {
    socket.connectedAt = Date.now();
  }
}

// Server: periodic check via a Watcher
export class TokenWatcher extends BaseWatcher {
  private timer: ReturnType<typeof setInterval> | null = null;

  async watch() {
    this.timer = setInterval(() => {
      // Disconnect sockets connected more than 1 hour ago
      // (wrong for 0.1.4 too: BaseWatcher has `appHandle`, not `app`, and the io server is not on it)
      // @ts-expect-error -- BaseWatcher has no `app` (wrong for 0.1.4 too)
      const io = (this.app as any).io;
      io.sockets.sockets.forEach((socket: any) => {
        if (Date.now() - socket.connectedAt > 3_600_000) {
          socket.disconnect(true);
        }
      });
    }, 60_000);
  }

  stop() {
    if (this.timer) { clearInterval(this.timer); this.timer = null; }
  }
}
