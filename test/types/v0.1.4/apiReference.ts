/* eslint-disable @typescript-eslint/no-unsafe-function-type, @typescript-eslint/no-explicit-any -- verbatim snippets of 0.1.4's API pages */
// docs-site/content/docs/api/*.md (config manager, HTTP, socket and admin middlewares, verifyOidcToken, types), verbatim.
import { IOServer, BaseController, BaseService } from "ioserver";
import type { FastifyRequest, FastifyReply } from "fastify";
import { io } from "socket.io-client";

declare const server: IOServer;
declare class ProfileController { constructor(appHandle: unknown) }
declare class ChatService { constructor(appHandle: unknown) }
declare class AdminService { constructor(appHandle: unknown) }
declare class TenantService { constructor(appHandle: unknown) }
declare class UserService { constructor(appHandle: unknown) }
declare const accessToken: string;
declare const request: FastifyRequest;
declare const reply: FastifyReply;

// ── 1.oidc-config-manager.md
import { OidcConfigManager } from "ioserver-oidc";

server.addManager({ name: "oidcConfig", manager: OidcConfigManager });

// ── 2.http-middleware.md
import { OidcHttpMiddleware } from "ioserver-oidc";

server.addController({
  name: "profile",
  controller: ProfileController,
  middlewares: [OidcHttpMiddleware],
});

export class ProfileControllerOfTheGuide extends BaseController {
  async getMe(request: FastifyRequest, reply: FastifyReply) {
    const req = request as any;
    reply.send({
      userId: req.userId,
      role: req.userRole,
      permissions: req.permissions,
    });
  }
}

// ── 3.socket-middleware.md
import { OidcSocketMiddleware } from "ioserver-oidc";

server.addService({
  name: "chat",
  service: ChatService,
  middlewares: [OidcSocketMiddleware],
});

// Browser / socket.io-client — preferred
const socket = io("http://localhost:3000/chat", {
  auth: { token: accessToken },
});

// Server-to-server or fallback (the guide declares `socket` twice in one block; renamed here)
const socketWithHeader = io("http://localhost:3000/chat", {
  extraHeaders: { Authorization: `Bearer ${accessToken}` },
});

export class ChatServiceOfTheGuide extends BaseService {
  async message(socket: any, data: { text: string }, callback?: Function) {
    console.log(`Message from user ${socket.userId} (${socket.userRole})`);
    socket.broadcast.emit("chat:message", {
      from: socket.userId,
      text: data.text,
    });
    if (callback) callback({ sent: true });
  }
}

socket.on("connect_error", (err) => {
  console.error(err.message); // "ERR_AUTH_TOKEN_REQUIRED"
});

// ── 4.admin-middleware.md
import { OidcSocketAdminMiddleware } from "ioserver-oidc";

server.addService({
  name: "admin",
  service: AdminService,
  middlewares: [OidcSocketMiddleware, OidcSocketAdminMiddleware],
});

// "Check logic" (0.1.4's implementation, shown in the page), inside the middleware function it came from.
export function checkLogic(socket: any, next: (err?: Error) => void) {
  const roles: string[] = Array.isArray(socket.roles)
    ? socket.roles
    : typeof socket.userRole === "string"
      ? [socket.userRole]
      : [];

  if (!roles.includes("admin")) {
    return next(new Error("ERR_FORBIDDEN"));
  }
}

socketWithHeader.on("connect_error", (err) => {
  console.error(err.message); // "ERR_FORBIDDEN"
});

// Non-admin users: authentication only
server.addService({
  name: "tenants",
  service: TenantService,
  middlewares: [OidcSocketMiddleware],
});

// Admin users only: authentication + role guard
server.addService({
  name: "users",
  service: UserService,
  middlewares: [OidcSocketMiddleware, OidcSocketAdminMiddleware],
});

// ── 5.verify-token.md
import { verifyOidcToken } from "ioserver-oidc";

const config = {
  authServiceUrl: process.env.AUTH_SERVICE_URL!,
  appSlug: process.env.AUTH_SERVICE_APP_SLUG!,
};

export async function processWebhook(authHeader: string | undefined) {
  if (!authHeader?.startsWith("Bearer ")) {
    throw new Error("Missing token");
  }
  const token = authHeader.slice(7);

  try {
    const ctx = await verifyOidcToken(token, config);
    console.log("Webhook from", ctx.sub, "role:", ctx.userRole);
  } catch (err) {
    console.error("Invalid token:", err);
    throw err;
  }
}

// ── 6.types.md
import type { OidcConfig, OidcUserContext, OidcFeatures } from "ioserver-oidc";

interface DocumentedOidcConfig {
  /** Public base URL of auth-service. Example: "https://auth.example.com" */
  readonly authServiceUrl: string;

  /** OAuth2 client_id / application slug. Used to validate the `aud` claim. */
  readonly appSlug: string;

  /** Override the JWKS URI. Defaults to "<authServiceUrl>/api/auth/jwks". */
  readonly jwksUri?: string;

  /** Override the expected `iss` claim. Defaults to authServiceUrl. */
  readonly issuer?: string;
}

interface DocumentedOidcUserContext {
  /** Internal user ID — local DB record (after findOrCreate); falls back to sub. */
  userId: string;

  /** OIDC sub claim — stable auth-service user identifier. */
  sub: string;

  /** Email from JWT `email` claim. Null if the claim is absent. */
  email: string | null;

  /** Display name from JWT `name` claim. Null if the claim is absent. */
  name: string | null;

  /** Primary role — roles[0] or "user" when roles is empty. */
  userRole: string;

  /** Full roles array from the JWT `roles` claim. */
  roles: string[];

  /** Permission strings from the JWT `permissions` claim. */
  permissions: string[];

  /** Feature flags and limits from the JWT `features` claim. */
  features: OidcFeatures;
}

export function typesPage(documented: DocumentedOidcConfig, context: DocumentedOidcUserContext, fromPackage: OidcUserContext): unknown[] {
  const asConfig: OidcConfig = documented;
  const asPackage: OidcUserContext = context;
  const asDocumented: DocumentedOidcUserContext = fromPackage;
  return [asConfig, asPackage, asDocumented];
}

interface AppFeatures extends OidcFeatures {
  maxProjects: number;
  canExport: boolean;
  tier: "free" | "pro" | "enterprise";
}

// In a controller or service (0.1.4 had no augmentation: `request.features` was TS2339 there unless the app added the page's own declaration):
const features = request.features as AppFeatures;
if (!features.canExport) {
  reply.code(403).send({ error: "Export not available on your plan" });
}
