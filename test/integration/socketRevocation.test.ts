import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import type { Socket as ClientSocket } from "socket.io-client";
import { TOKENS } from "../../src/index.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { ChatService, connectSocket, emitWithAck } from "../fixtures/app.js";
import { createInMemoryCluster } from "../fixtures/inMemoryCluster.js";
import { nextEvent, pause, recordEvents, startLiveApp, type LiveApp } from "../fixtures/live.js";

let issuer: TestIssuer;
let app: LiveApp;
const open: ClientSocket[] = [];

async function connected(target: LiveApp, namespace: string, sub: string): Promise<ClientSocket> {
  const outcome = await connectSocket(target.url, namespace, { auth: { token: await issuer.mint({ sub }) } });
  if (!outcome.socket) throw new Error(`connection refused: ${outcome.error?.message}`);
  open.push(outcome.socket);
  return outcome.socket;
}

/** Resolves with the events a client saw, in order, once it was disconnected. */
async function cutOff(socket: ClientSocket): Promise<{ events: string[]; notice: unknown; reason: string }> {
  const events = recordEvents(socket, ["auth:revoked", "disconnect"]);
  const notice = nextEvent(socket, "auth:revoked");
  const reason = nextEvent<string>(socket, "disconnect");
  return { events, notice: await notice, reason: await reason };
}

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "EdDSA" });
  app = await startLiveApp(issuer, {}, (server, oidc) => {
    server.addService({ name: "chat", service: ChatService, middlewares: [oidc.OidcSocketMiddleware] });
    server.addService({ name: "admin", service: ChatService, middlewares: [oidc.OidcSocketMiddleware] });
  });
});

afterEach(() => {
  for (const socket of open.splice(0)) socket.close();
  app.users.disabled.clear();
});

afterAll(async () => {
  await app.stop();
  await issuer.close();
});

describe("on one node", () => {
  test("revoke({ sub }) tells every socket of the user, in every namespace, then disconnects them; others stay", async () => {
    const [chat, admin, other] = await Promise.all([connected(app, "/chat", "bob"), connected(app, "/admin", "bob"), connected(app, "/chat", "carol")]);
    const cuts = Promise.all([cutOff(chat), cutOff(admin)]);

    await app.container.resolve(TOKENS.SessionRevoker).revoke({ sub: "bob" }, { message: "Account closed" });

    for (const cut of await cuts) {
      expect(cut.events).toEqual(["auth:revoked", "disconnect"]);
      expect(cut.notice).toEqual({ message: "Account closed" });
      // A namespace-level disconnect: the client does not reconnect by itself.
      expect(cut.reason).toBe("io server disconnect");
    }
    expect(other.connected).toBe(true);
    expect(await emitWithAck(other, "whoami")).toMatchObject({ sub: "carol" });
    await pause(20);
    expect([...app.registrar.live.values()]).toEqual(["local-carol"]);
  });

  test("revoke({ userId }) reaches the user by the provisioner's local id", async () => {
    const socket = await connected(app, "/chat", "dave");
    const cut = cutOff(socket);
    await app.container.resolve(TOKENS.SessionRevoker).revoke({ userId: "local-dave" });
    expect(await cut).toMatchObject({ events: ["auth:revoked", "disconnect"], notice: { message: "Your session was revoked" } });
  });

  test("the README recipe: disable in the provisioner, then revoke; the user cannot come back", async () => {
    const socket = await connected(app, "/chat", "erin");
    const cut = cutOff(socket);
    app.users.disabled.add("erin");
    await app.container.resolve(TOKENS.SessionRevoker).revoke({ sub: "erin" });
    await cut;
    const again = await connectSocket(app.url, "/chat", { auth: { token: await issuer.mint({ sub: "erin" }) } });
    expect(again).toMatchObject({ connected: false, error: { message: "ERR_USER_DISABLED" } });
  });

  test("a target that is neither { sub } nor { userId } is a TypeError", async () => {
    const revoker = app.container.resolve(TOKENS.SessionRevoker);
    await expect(revoker.revoke({} as { sub: string })).rejects.toThrow(TypeError);
    await expect(revoker.revoke({ sub: "" })).rejects.toThrow("sub must be a non-empty string");
    await expect(revoker.revoke({ sub: "a", userId: "b" } as unknown as { sub: string })).rejects.toThrow("exactly one");
  });
});

describe("across two nodes linked by a Socket.IO cluster adapter", () => {
  let nodeA: LiveApp;
  let nodeB: LiveApp;
  let cluster: ReturnType<typeof createInMemoryCluster>;

  beforeAll(async () => {
    cluster = createInMemoryCluster();
    // Two IOServer instances, each with its own OIDC container, as two processes would have.
    const setup = (server: Parameters<Parameters<typeof startLiveApp>[2]>[0], oidc: Parameters<Parameters<typeof startLiveApp>[2]>[1]) =>
      server.addService({ name: "chat", service: ChatService, middlewares: [oidc.OidcSocketMiddleware] });
    [nodeA, nodeB] = await Promise.all([startLiveApp(issuer, {}, setup), startLiveApp(issuer, {}, setup)]);
    for (const node of [nodeA, nodeB]) node.server.getApp().io.adapter(cluster.adapter);
  });

  afterAll(async () => {
    await Promise.all([nodeA.stop(), nodeB.stop()]);
  });

  test("a revocation issued on node A cuts the user's socket on node B", async () => {
    // Node A learns its Socket.IO server from a socket of its own (another user's).
    const bystander = await connected(nodeA, "/chat", "frank");
    const target = await connected(nodeB, "/chat", "grace");
    const cut = cutOff(target);
    const before = cluster.messages();

    await nodeA.container.resolve(TOKENS.SessionRevoker).revoke({ sub: "grace" });

    expect(await cut).toMatchObject({ events: ["auth:revoked", "disconnect"], reason: "io server disconnect" });
    expect(cluster.messages()).toBeGreaterThan(before);
    expect(bystander.connected).toBe(true);
    await pause(20);
    expect(nodeB.registrar.live.size).toBe(0);
  });

  test("a node no socket reached yet revokes once its server is added to the registry", async () => {
    const nodeC = await startLiveApp(issuer, {}, (server, oidc) =>
      server.addService({ name: "chat", service: ChatService, middlewares: [oidc.OidcSocketMiddleware] }),
    );
    try {
      nodeC.server.getApp().io.adapter(cluster.adapter);
      const target = await connected(nodeB, "/chat", "heidi");
      const cut = cutOff(target);
      nodeC.container.resolve(TOKENS.SocketServerRegistry).add(nodeC.server.getApp().io);
      await nodeC.container.resolve(TOKENS.SessionRevoker).revoke({ userId: "local-heidi" });
      expect(await cut).toMatchObject({ events: ["auth:revoked", "disconnect"] });
    } finally {
      await nodeC.stop();
    }
  });
});
