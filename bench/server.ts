/**
 * One bench server, run in its own process by `bench/run.ts`:
 * `node --import tsx bench/server.ts <baseline|noop|floor|floor-dpop|oidc|peer> <port>`.
 * The same IOServer app (GET /bench, Socket.IO namespace /bench) with no
 * middleware, with a middleware that does nothing, with one that only
 * checks signatures (the floor; floor-dpop checks a token and a DPoP proof), with ioserver-oidc, or with the 0.1.x-style
 * peer.
 * ioserver-oidc reads its settings from the AUTH_SERVICE_* variables the
 * driver passes. Prints "ready" once listening; answers "cpu" messages with
 * its CPU time, so the driver can report CPU per request.
 */
import "reflect-metadata";
import { fileURLToPath } from "node:url";
import { BaseController, BaseService, IOServer } from "ioserver";
import type { FastifyReply, FastifyRequest } from "fastify";
import { OidcConfigManager, OidcHttpMiddleware, OidcSocketMiddleware } from "../src/index.js";
import { FloorDpopHttpMiddleware, FloorHttpMiddleware } from "./floor.js";
import { PeerHttpMiddleware, PeerSocketMiddleware } from "./peer.js";

export type ServerKind = "baseline" | "noop" | "floor" | "floor-dpop" | "oidc" | "peer";

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
const http = { baseline: [], noop: [NoopHttpMiddleware], floor: [FloorHttpMiddleware], "floor-dpop": [FloorDpopHttpMiddleware], oidc: [OidcHttpMiddleware], peer: [PeerHttpMiddleware] }[kind];
const socket = { baseline: [], noop: [], floor: [], "floor-dpop": [], oidc: [OidcSocketMiddleware], peer: [PeerSocketMiddleware] }[kind];
if (http === undefined || socket === undefined || !Number.isInteger(port)) throw new Error("usage: server.ts <baseline|noop|floor|oidc|peer> <port>");

const server = new IOServer({ host: "127.0.0.1", port, routes: fileURLToPath(new URL("./routes", import.meta.url)), verbose: "ERROR", mode: ["websocket"] });
if (kind === "oidc") server.addManager({ name: "oidcConfig", manager: OidcConfigManager });
server.addController({ name: "bench", controller: BenchController, middlewares: http, prefix: "/bench" });
server.addService({ name: "bench", service: BenchService, middlewares: socket });
await server.start();
// Fail fast on a bad setup instead of measuring refusals.
if (kind === "oidc") await (server as unknown as { appHandle: { oidcConfig: OidcConfigManager } }).appHandle.oidcConfig.ready();

process.on("message", (message) => {
  if (message === "cpu") {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuMicros: user + system });
  }
});
process.on("SIGTERM", () => {
  void server.stop().finally(() => process.exit(0));
});
process.send?.("ready");
