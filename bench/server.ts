/**
 * One bench server, run in its own process by `bench/run.ts`:
 * `node --import tsx bench/server.ts <baseline|noop|floor|floor-dpop|oidc|guarded|peer|fastify|jwks> <port>`.
 * The same IOServer app (GET /bench, Socket.IO namespace /bench) with no
 * middleware, with a middleware that does nothing, with one that only
 * checks signatures (the floor; floor-dpop checks a token and a DPoP proof),
 * with ioserver-oidc, or with the 0.1.x-style peer; or, for the
 * fastify-jwt-jwks peer, a plain Fastify app with the same route
 * unprotected (fastify) or behind fastify-jwt-jwks (jwks).
 * ioserver-oidc reads its settings from the AUTH_SERVICE_* variables the
 * driver passes. Prints "ready" once listening; answers "cpu" messages with
 * its CPU time, so the driver can report CPU per request, "stats"
 * messages with the token cache's hit and miss counts (and how many misses
 * shared a verification already running), and
 * "profile:start" / "profile:stop" with a CPU profile of the span between.
 */
import "reflect-metadata";
import { subscribe } from "node:diagnostics_channel";
import { Session } from "node:inspector";
import { fileURLToPath } from "node:url";
import { BaseController, BaseService, IOServer } from "ioserver";
import type { FastifyReply, FastifyRequest } from "fastify";
import { OidcConfigManager, OidcHttpMiddleware, OidcSocketMiddleware, oidcContainer, requireEventPermissions, TOKENS } from "../src/index.js";
import type { TokenCacheStats } from "../src/services/verification/VerifiedTokenCache.js";
import { OIDC_CHANNELS, type TokenCacheMessage } from "../src/services/diagnostics.js";
import { startPlainFastify } from "./fastifyPeer.js";
import { FloorDpopHttpMiddleware, FloorHttpMiddleware } from "./floor.js";
import { PeerHttpMiddleware, PeerSocketMiddleware } from "./peer.js";

export type ServerKind = "baseline" | "noop" | "floor" | "floor-dpop" | "oidc" | "guarded" | "peer" | "fastify" | "jwks";

/** A middleware that does nothing: what IOServer's middleware hook costs by itself, the ceiling for any auth middleware. */
class NoopHttpMiddleware {
  handle(): () => Promise<undefined> {
    return async () => undefined;
  }
}

class BenchController extends BaseController {
  async hello(request: FastifyRequest, reply: FastifyReply) {
    return reply.send({ ok: true, sub: (request as FastifyRequest & { sub?: string }).sub ?? null });
  }
}

class BenchService extends BaseService {
  async ping(_socket: unknown, _data: unknown, callback?: (value: unknown) => void) {
    callback?.("pong");
  }
}

const kind = process.argv[2] as ServerKind;
const port = Number(process.argv[3]);
let stop: () => Promise<unknown>;
if (kind === "fastify" || kind === "jwks") {
  if (!Number.isInteger(port)) throw new Error("usage: server.ts <kind> <port>");
  stop = await startPlainFastify(port, kind === "jwks");
} else {
  stop = await startIOServer();
}

async function startIOServer(): Promise<() => Promise<unknown>> {
  const http = {
    baseline: [],
    noop: [NoopHttpMiddleware],
    floor: [FloorHttpMiddleware],
    "floor-dpop": [FloorDpopHttpMiddleware],
    oidc: [OidcHttpMiddleware],
    guarded: [OidcHttpMiddleware],
    peer: [PeerHttpMiddleware],
  }[
    kind as string
  ];
  // "guarded": ioserver-oidc plus a per-event check on "ping", which every bench token passes.
  const socket = {
    baseline: [],
    noop: [],
    floor: [],
    "floor-dpop": [],
    oidc: [OidcSocketMiddleware],
    guarded: [OidcSocketMiddleware, requireEventPermissions({ ping: "read" })],
    peer: [PeerSocketMiddleware],
  }[kind as string];
  if (http === undefined || socket === undefined || !Number.isInteger(port)) throw new Error("usage: server.ts <baseline|noop|floor|floor-dpop|oidc|guarded|peer|fastify|jwks> <port>");
  const server = new IOServer({ host: "127.0.0.1", port, routes: fileURLToPath(new URL("./routes", import.meta.url)), verbose: "ERROR", mode: ["websocket"] });
  if (kind === "oidc" || kind === "guarded") server.addManager({ name: "oidcConfig", manager: OidcConfigManager });
  server.addController({ name: "bench", controller: BenchController, middlewares: http, prefix: "/bench" });
  server.addService({ name: "bench", service: BenchService, middlewares: socket });
  await server.start();
  // Fail fast on a bad setup instead of measuring refusals.
  if (kind === "oidc" || kind === "guarded") await (server as unknown as { appHandle: { oidcConfig: OidcConfigManager } }).appHandle.oidcConfig.ready();
  return () => server.stop();
}

/** Cache misses that waited for a verification of the same token already running (the verifier's diagnostics channel). */
let shared = 0;
subscribe(OIDC_CHANNELS.tokenCache, (message) => {
  if ((message as TokenCacheMessage).shared === true) shared += 1;
});

/** The CPU profile of the span between "profile:start" and "profile:stop" (bench/profile.ts), start-up left out. */
let profiler: Session | undefined;

process.on("message", (message) => {
  if (message === "profile:start") {
    profiler = new Session();
    profiler.connect();
    profiler.post("Profiler.enable", () => profiler?.post("Profiler.start", () => process.send?.("profiling")));
  } else if (message === "profile:stop") {
    profiler?.post("Profiler.stop", (error, result) => {
      process.send?.(error ? { error: error.message } : { profile: result.profile });
      profiler?.disconnect();
    });
  } else if (message === "cpu") {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuMicros: user + system });
  } else if (message === "memory") {
    // Only meaningful under --expose-gc (bench/scale.ts starts servers so).
    (globalThis as { gc?: () => void }).gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    const timers = process.getActiveResourcesInfo().filter((resource) => resource === "Timeout").length;
    process.send?.({ rss, heapUsed, timers });
  } else if (message === "stats") {
    const cache = oidcContainer.resolve(TOKENS.VerifiedTokenCache) as { stats?: TokenCacheStats };
    process.send?.({ hits: cache.stats?.hits ?? 0, misses: cache.stats?.misses ?? 0, shared });
  }
});
process.on("SIGTERM", () => {
  void stop().finally(() => process.exit(0));
});
process.send?.("ready");
