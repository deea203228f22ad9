/**
 * 0.1.4's "User Provisioning" guide, section "Session tracking", as a host
 * app wrote it: a `session` manager with `registerSocket(userId, socketId, sub)`
 * and `unregisterSocket(socketId)`, registered next to the default classes.
 * Black-box: public exports, a real IOServer on 127.0.0.1, a real JWKS,
 * socket.io-client.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import { BaseManager } from "ioserver";
import type { Socket as ClientSocket } from "socket.io-client";
import { OidcConfigManager, OidcSocketMiddleware } from "../../src/index.js";
import { TestIssuer } from "../../src/testing/index.js";
import { ChatService, connectSocket, emitWithAck, startServer } from "../fixtures/app.js";
import { waitFor } from "../fixtures/doubles.js";

/** The guide's SessionManager, verbatim but for the call log. */
class SessionManager extends BaseManager {
  private sockets = new Map<string, { userId: string; sub: string }>();
  readonly calls: unknown[][] = [];

  registerSocket(userId: string, socketId: string, sub: string) {
    this.calls.push(["registerSocket", userId, socketId, sub]);
    this.sockets.set(socketId, { userId, sub });
  }

  unregisterSocket(socketId: string) {
    this.calls.push(["unregisterSocket", socketId]);
    this.sockets.delete(socketId);
  }

  getActiveSockets() {
    return [...this.sockets.entries()];
  }
}

/** The guide's users manager shape: local ids for known subjects. */
class UsersManager extends BaseManager {
  async findOrCreate(sub: string) {
    return { id: `local-${sub}`, role: "user", isDisabled: false };
  }
}

let issuer: TestIssuer;
let app: Awaited<ReturnType<typeof startServer>>;
const open: ClientSocket[] = [];
const sessions = (): SessionManager => (app.server as unknown as { appHandle: { session: SessionManager } }).appHandle.session;

beforeAll(async () => {
  issuer = await TestIssuer.start({ audience: "sessions-app" });
  Object.assign(process.env, issuer.env(), { AUTH_SERVICE_LOG_LEVEL: "silent" });
  app = await startServer((server) => {
    server.addManager({ name: "oidcConfig", manager: OidcConfigManager });
    server.addManager({ name: "users", manager: UsersManager });
    server.addManager({ name: "session", manager: SessionManager });
    server.addService({ name: "chat", service: ChatService, middlewares: [OidcSocketMiddleware] });
  });
});
afterAll(async () => {
  await app.stop();
  await issuer.close();
});
afterEach(() => {
  for (const socket of open.splice(0)) socket.close();
});

async function connected(sub: string): Promise<ClientSocket> {
  const outcome = await connectSocket(app.url, "/chat", { auth: { token: await issuer.mint({ sub }) } });
  expect(outcome.error).toBeUndefined();
  open.push(outcome.socket as ClientSocket);
  return outcome.socket as ClientSocket;
}

describe("the guide's SessionManager", () => {
  test("registerSocket(userId, socketId, sub) on connect, with the local user id", async () => {
    const socket = await connected("alice");
    await waitFor(() => sessions().getActiveSockets().length === 1, 2000, "registration");
    expect(sessions().getActiveSockets()).toEqual([[socket.id, { userId: "local-alice", sub: "alice" }]]);
  });

  test("unregisterSocket receives the socket id first: the entry is gone after the disconnect", async () => {
    const socket = await connected("bob");
    const socketId = socket.id as string;
    await waitFor(() => sessions().getActiveSockets().some(([id]) => id === socketId), 2000, "registration");
    socket.close();
    await waitFor(() => !sessions().getActiveSockets().some(([id]) => id === socketId), 2000, "the socket to be forgotten");
    expect(sessions().calls).toContainEqual(["unregisterSocket", socketId]);
  });

  test("many sockets coming and going leave no entry behind", async () => {
    const sockets = await Promise.all(["carol", "carol", "dave"].map((sub) => connected(sub)));
    for (const socket of sockets) expect(await emitWithAck(socket, "whoami")).toMatchObject({ userId: expect.stringMatching(/^local-/) });
    await waitFor(() => sessions().getActiveSockets().length === 3, 2000, "three registrations");
    for (const socket of open.splice(0)) socket.close();
    await waitFor(() => sessions().getActiveSockets().length === 0, 2000, "every socket to be forgotten");
  });
});
