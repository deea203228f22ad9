import { fileURLToPath } from "node:url";
import { BaseController, BaseService, IOServer } from "ioserver";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Socket } from "socket.io";
import { getAuth } from "../../src/index.js";
import { connectSocket, emitWithAck, freePort } from "../fixtures/app.js";

/**
 * What a 0.1.x host app looks like to these tests: the README's
 * registration, a "whoami" route and event that echo the context fields
 * the middleware put on the request/socket and what `getAuth()` returns,
 * and the 0.1.x test idiom for the environment.
 */
const ROUTES = fileURLToPath(new URL("./routes", import.meta.url));

/** The fields 0.1.4 documented or set on the request and socket, plus email and name. */
const FIELDS = ["sub", "userId", "userRole", "roles", "permissions", "features", "email", "name", "org_id"] as const;

/** The context fields present on `source` (an absent one is left out, so `org_id` can be asserted absent). */
export function fieldsOf(source: object): Record<string, unknown> {
  return Object.fromEntries(FIELDS.filter((f) => f in source).map((f) => [f, (source as Record<string, unknown>)[f]]));
}

export interface Echo {
  fields: Record<string, unknown>;
  auth: Record<string, unknown>;
}

export class WhoamiController extends BaseController {
  async whoami(request: FastifyRequest, reply: FastifyReply) {
    return reply.send({ fields: fieldsOf(request), auth: getAuth(request) });
  }
}

export class WhoamiService extends BaseService {
  async whoami(socket: Socket, _data: unknown, callback?: (echo: Echo) => void) {
    callback?.({ fields: fieldsOf(socket), auth: { ...getAuth(socket) } });
  }
}

/** The 0.1.x test idiom: replace `process.env` as a whole (the package was imported before). Logs muted. */
export function setEnv(vars: Record<string, string | undefined>): void {
  process.env = { ...process.env, AUTH_SERVICE_LOG_LEVEL: "silent", ...vars };
  for (const [name, value] of Object.entries(vars)) if (value === undefined) delete process.env[name];
}

export interface Host {
  url: string;
  server: IOServer;
  stop(): Promise<void>;
}

/** A real IOServer on 127.0.0.1, registered by `setup` as a host app would. */
export async function startHost(setup: (server: IOServer) => void): Promise<Host> {
  const port = await freePort();
  const server = new IOServer({ host: "127.0.0.1", port, routes: ROUTES, verbose: "ERROR", mode: ["websocket"] });
  setup(server);
  await server.start();
  return { url: `http://127.0.0.1:${port}`, server, stop: () => server.stop() };
}

/** GET /whoami with the given headers: status and JSON body. */
export async function httpWhoami(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/whoami`, { headers, signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Connects to `namespace`, asks "whoami", disconnects; or the `connect_error` message. */
export async function socketWhoami(url: string, namespace: string, auth: Record<string, unknown>): Promise<{ echo?: Echo; error?: string }> {
  const outcome = await connectSocket(url, namespace, { auth });
  if (!outcome.connected || !outcome.socket) return { error: outcome.error?.message };
  try {
    return { echo: await emitWithAck<Echo>(outcome.socket, "whoami") };
  } finally {
    outcome.socket.close();
  }
}

export { connectSocket };
