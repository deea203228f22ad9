/* eslint-disable @typescript-eslint/no-explicit-any -- verbatim snippets of 0.1.4's README */
/**
 * Every TypeScript snippet of ioserver-oidc 0.1.4's README, in order,
 * verbatim; only the names a snippet assumes (its controllers, services,
 * `fastify`, `socket`, `rawJwt`) are declared first.
 */
import type { FastifyInstance } from "fastify";
import type { Socket } from "socket.io";
import * as pkg from "ioserver-oidc";

declare class ProfileController { constructor(appHandle: unknown) }
declare class ChatService { constructor(appHandle: unknown) }
declare class UserService { constructor(appHandle: unknown) }
declare const fastify: FastifyInstance;
declare const socket: Socket;
declare const rawJwt: string;

// ── Quick start 1. Register the config manager
import {
  OidcConfigManager,
  OidcHttpMiddleware,
  OidcSocketMiddleware,
  OidcSocketAdminMiddleware,
} from "ioserver-oidc";
import { IOServer } from "ioserver";

const server = new IOServer({
  /* your IOServer options */
});

// Reads AUTH_SERVICE_URL + AUTH_SERVICE_APP_SLUG from process.env
server.addManager({ name: "oidcConfig", manager: OidcConfigManager });

// ── 2. Protect HTTP controllers
server.addController({
  name: "profile",
  controller: ProfileController,
  middlewares: [OidcHttpMiddleware], // ← JWT-required
  prefix: "/profile",
});

// ── 3. Protect Socket.IO services
// Any authenticated user
server.addService({
  name: "chat",
  service: ChatService,
  middlewares: [OidcSocketMiddleware],
});

// Admin-only namespace
server.addService({
  name: "users",
  service: UserService,
  middlewares: [OidcSocketMiddleware, OidcSocketAdminMiddleware],
});

// ── 4. Read the injected context in your handlers
// HTTP (Fastify)
fastify.get("/me", async (request) => {
  const req = request as any;
  return { userId: req.userId, role: req.userRole };
});

// Socket.IO (0.1.4 had no type augmentation: under strict this line was TS2339 there; 0.2 types the fields as optional)
socket.on("ping", () => {
  console.log(socket.userId, socket.userRole);
});

// ── OidcConfigManager
server.addManager({ name: "oidcConfig", manager: OidcConfigManager });

// ── verifyOidcToken
import { verifyOidcToken } from "ioserver-oidc";

const ctx = await verifyOidcToken(rawJwt, {
  authServiceUrl: "https://auth.example.com",
  appSlug: "my-app",
});
// ctx → OidcUserContext

// ── Types
import type { OidcConfig, OidcUserContext, OidcFeatures } from "ioserver-oidc";

// The two documented interfaces, as the README prints them: the package's types must accept them both ways.
interface DocumentedOidcConfig {
  authServiceUrl: string; // e.g. "https://auth.example.com"
  appSlug: string; // OAuth2 client_id (= app slug)
  jwksUri?: string; // Override JWKS endpoint
  issuer?: string; // Override expected `iss` claim
}

interface DocumentedOidcUserContext {
  userId: string; // Local DB user ID (after findOrCreate)
  sub: string; // OIDC sub claim
  email: string | null;
  name: string | null;
  userRole: string; // First element of roles[], fallback "user"
  roles: string[];
  permissions: string[];
  features: OidcFeatures; // Record<string, unknown>
}

export function documentedShapes(documented: DocumentedOidcConfig, context: DocumentedOidcUserContext): unknown[] {
  const config: OidcConfig = documented;
  const minimal: OidcConfig = { authServiceUrl: "https://auth.example.com", appSlug: "my-app" };
  const asPackage: OidcUserContext = context;
  const asDocumented: DocumentedOidcUserContext = ctx;
  const email: string | null = ctx.email;
  const orgId: string | undefined = ctx.org_id;
  return [config, minimal, asPackage, asDocumented, email, orgId, pkg.OidcConfigManager];
}
