/**
 * The package's main job, end to end on loopback: a local issuer (real keys,
 * JWKS over HTTP at BetterAuth's path), an IOServer protected by
 * ioserver-oidc, and real HTTP and Socket.IO calls by an admin, a user, a
 * disabled user and a few impostors. Prints what each got; exits 0 when
 * every outcome is the expected one.
 *
 *   npm run demo             run the calls and exit
 *   npm run demo -- --serve  keep the servers up and print curl commands
 *   npm run demo -- --cluster  two nodes on Redis: a revocation on one, what each answers (demo/cluster.ts)
 */
// First: drops ioserver's Fastify FSTDEP022 deprecation warning (see the file), before IOServer loads.
import "../scripts/ioserverWarning.js";
import { fileURLToPath } from "node:url";
import { createServer } from "node:net";
import { BaseController, BaseManager, BaseService, IOServer } from "ioserver";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Socket } from "socket.io";
import { io } from "socket.io-client";
import { OidcConfigManager, OidcHttpMiddleware, OidcSocketAdminMiddleware, OidcSocketMiddleware, type LocalUser, type UserProfile } from "../src/index.js";
import { TestIssuer } from "../src/testing/TestIssuer.js";

const serve = process.argv.includes("--serve");
const CONTEXT = ["sub", "userId", "userRole", "roles", "permissions", "features"] as const;
const contextOf = (source: object) => Object.fromEntries(CONTEXT.map((k) => [k, (source as Record<string, unknown>)[k]]));

/** The host app's user store, reached by ioserver-oidc as appHandle.users.findOrCreate. */
class UsersManager extends BaseManager {
  private readonly users = new Map<string, LocalUser>([
    ["alice", { id: "u-1", role: "admin" }],
    ["bob", { id: "u-2", role: "user" }],
    ["mallory", { id: "u-3", role: "user", isDisabled: true }],
  ]);
  async findOrCreate(sub: string, _profile: UserProfile): Promise<LocalUser> {
    let user = this.users.get(sub);
    if (!user) this.users.set(sub, (user = { id: `u-${this.users.size + 1}`, role: "user" }));
    return user;
  }
}

class ProfileController extends BaseController {
  async getProfile(request: FastifyRequest, reply: FastifyReply) {
    return reply.send(contextOf(request));
  }
}

class ChatService extends BaseService {
  async whoami(socket: Socket, _data: unknown, ack?: (v: unknown) => void) {
    ack?.(contextOf(socket));
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

if (process.argv.includes("--cluster")) {
  const { runClusterDemo } = await import("./cluster.js");
  process.exit(await runClusterDemo());
}

const issuer = await TestIssuer.start({ alg: "EdDSA", audience: "demo-app" });
Object.assign(process.env, issuer.env(), { AUTH_SERVICE_LOG_LEVEL: process.env.AUTH_SERVICE_LOG_LEVEL ?? "silent" });

const port = await freePort();
const server = new IOServer({ host: "127.0.0.1", port, routes: fileURLToPath(new URL("./routes", import.meta.url)), mode: ["websocket"] });
server.addManager({ name: "users", manager: UsersManager });
server.addManager({ name: "oidcConfig", manager: OidcConfigManager });
server.addController({ name: "profile", controller: ProfileController, middlewares: [OidcHttpMiddleware], prefix: "/profile" });
server.addService({ name: "chat", service: ChatService, middlewares: [OidcSocketMiddleware] });
server.addService({ name: "admin", service: ChatService, middlewares: [OidcSocketMiddleware, OidcSocketAdminMiddleware] });
await server.start();
const base = `http://127.0.0.1:${port}`;

const callers: { name: string; token: string | undefined }[] = [
  { name: "alice (admin)", token: await issuer.mint({ sub: "alice", email: "alice@example.com", roles: ["admin"], permissions: ["users:write"], features: { beta: true } }) },
  { name: "bob (user)", token: await issuer.mint({ sub: "bob", roles: ["user"], permissions: ["chat:read"] }) },
  { name: "mallory (disabled)", token: await issuer.mint({ sub: "mallory", roles: ["user"] }) },
  { name: "no token", token: undefined },
  { name: "expired token", token: await issuer.mint({ sub: "bob" }, { expiresIn: -60 }) },
  { name: "forged signature", token: await TestIssuer.forge({ sub: "alice", iss: issuer.issuer, aud: "demo-app", exp: Math.floor(Date.now() / 1000) + 300, roles: ["admin"] }) },
];

if (serve) {
  console.log(`ioserver-oidc demo serving at ${base} (JWKS ${issuer.jwksUri}); Ctrl-C to stop.\n`);
  for (const { name, token } of callers) {
    console.log(`# ${name}\ncurl -i ${base}/profile${token ? ` -H 'Authorization: Bearer ${token}'` : ""}\n`);
  }
} else {
  const expected: Record<string, [string, string, string]> = {
    "alice (admin)": ["200", "connected", "connected"],
    "bob (user)": ["200", "connected", "ERR_FORBIDDEN"],
    "mallory (disabled)": ["403 ERR_USER_DISABLED", "ERR_USER_DISABLED", "ERR_USER_DISABLED"],
    "no token": ["401 ERR_AUTH_TOKEN_REQUIRED", "ERR_AUTH_TOKEN_REQUIRED", "ERR_AUTH_TOKEN_REQUIRED"],
    "expired token": ["401 ERR_AUTH_TOKEN_INVALID", "ERR_AUTH_TOKEN_INVALID", "ERR_AUTH_TOKEN_INVALID"],
    "forged signature": ["401 ERR_AUTH_TOKEN_INVALID", "ERR_AUTH_TOKEN_INVALID", "ERR_AUTH_TOKEN_INVALID"],
  };
  const rows: string[][] = [];
  let mismatches = 0;
  for (const { name, token } of callers) {
    const res = await fetch(`${base}/profile`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const body = (await res.json()) as Record<string, unknown>;
    const http = res.ok ? "200" : `${res.status} ${String(body.code)}`;
    const chat = await socketOutcome(`${base}/chat`, token);
    const admin = await socketOutcome(`${base}/admin`, token);
    const got = [http, chat.outcome, admin.outcome];
    const ok = got.every((g, i) => g === expected[name]?.[i]);
    if (!ok) mismatches += 1;
    const ctx = res.ok ? body : chat.context;
    rows.push([name, http, chat.outcome, admin.outcome, ctx ? `userId=${String(ctx.userId)} role=${String(ctx.userRole)} perms=${JSON.stringify(ctx.permissions)}` : "-", ok ? "ok" : `EXPECTED ${expected[name]?.join(" | ")}`]);
  }
  printTable(["caller", "GET /profile", "socket /chat", "socket /admin", "injected context", "check"], rows);
  console.log(mismatches === 0 ? "\nAll outcomes as expected." : `\n${mismatches} caller(s) got an unexpected outcome.`);
  await server.stop();
  await issuer.close();
  process.exit(mismatches === 0 ? 0 : 1);
}

async function socketOutcome(url: string, token: string | undefined): Promise<{ outcome: string; context?: Record<string, unknown> }> {
  const socket = io(url, { transports: ["websocket"], auth: token ? { token } : {}, reconnection: false, forceNew: true, timeout: 5000 });
  try {
    return await new Promise((resolve) => {
      socket.once("connect", async () => {
        const context = (await socket.timeout(5000).emitWithAck("whoami", null)) as Record<string, unknown>;
        resolve({ outcome: "connected", context });
      });
      socket.once("connect_error", (err) => resolve({ outcome: err.message }));
    });
  } finally {
    socket.close();
  }
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
  for (const row of rows) console.log(line(row));
}
