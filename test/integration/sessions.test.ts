import { afterEach, beforeAll, afterAll, describe, expect, test } from "@jest/globals";
import type { Socket as ClientSocket } from "socket.io-client";
import { ERR_FORBIDDEN } from "../../src/errors.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { connectSocket, emitWithAck } from "../fixtures/app.js";
import { deferred, waitFor } from "../fixtures/doubles.js";
import { startOidcApp, type OidcApp } from "../fixtures/oidcApp.js";

let issuer: TestIssuer;
const apps: OidcApp[] = [];
const open: ClientSocket[] = [];

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "RS256", audience: "chat-app" });
});
afterAll(() => issuer.close());
afterEach(async () => {
  for (const socket of open.splice(0)) socket.close();
  for (const app of apps.splice(0)) await app.stop();
});

async function start(options: Omit<Parameters<typeof startOidcApp>[0], "env"> = {}): Promise<OidcApp> {
  const app = await startOidcApp({ env: issuer.env(), ...options });
  apps.push(app);
  return app;
}

async function connected(app: OidcApp, namespace: string, token: string): Promise<ClientSocket> {
  const outcome = await connectSocket(app.url, namespace, { auth: { token } });
  expect(outcome.error).toBeUndefined();
  open.push(outcome.socket as ClientSocket);
  return outcome.socket as ClientSocket;
}

describe("appHandle.session", () => {
  test("registerSocket(userId, socketId, sub) on connect, unregisterSocket(socketId, userId) on disconnect", async () => {
    const app = await start({ users: (sub) => (sub === "alice" ? { id: "local-alice" } : undefined) });
    const socket = await connected(app, "/chat", await issuer.mint({ sub: "alice" }));
    const socketId = socket.id;
    await waitFor(() => app.sessionEvents.length === 1, 2000, "registration");
    expect(app.sessionEvents).toEqual([["registerSocket", "local-alice", socketId, "alice"]]);

    socket.close();
    await waitFor(() => app.sessionEvents.length === 2, 2000, "unregistration");
    expect(app.sessionEvents[1]).toEqual(["unregisterSocket", socketId, "local-alice"]);
  });

  test("without a local user the socket is registered under sub", async () => {
    const app = await start();
    const socket = await connected(app, "/chat", await issuer.mint({ sub: "bob" }));
    await waitFor(() => app.sessionEvents.length === 1, 2000, "registration");
    expect(app.sessionEvents).toEqual([["registerSocket", "bob", socket.id, "bob"]]);
  });

  test("each socket of a user is registered on its own", async () => {
    const app = await start();
    const token = await issuer.mint({ sub: "carol" });
    const first = await connected(app, "/chat", token);
    const second = await connected(app, "/admin", await issuer.mint({ sub: "carol", roles: ["admin"] }));
    await waitFor(() => app.sessionEvents.length === 2, 2000, "registrations");
    expect(app.sessionEvents).toEqual(
      expect.arrayContaining([
        ["registerSocket", "carol", first.id, "carol"],
        ["registerSocket", "carol", second.id, "carol"],
      ]),
    );
  });

  test("a socket refused by the admin guard is never registered", async () => {
    const app = await start();
    const refused = await connectSocket(app.url, "/admin", { auth: { token: await issuer.mint({ sub: "mallory", roles: ["user"] }) } });
    expect(refused.error?.message).toBe(ERR_FORBIDDEN);
    // An admin connecting afterwards is registered: once that happened, the refused socket would have been too.
    const admin = await connected(app, "/admin", await issuer.mint({ sub: "root", roles: ["admin"] }));
    await waitFor(() => app.sessionEvents.length >= 1, 2000, "the admin's registration");
    expect(app.sessionEvents).toEqual([["registerSocket", "root", admin.id, "root"]]);
  });

  test("a slow registerSocket is never overtaken by the unregistration of a socket that left at once", async () => {
    const registration = deferred();
    const store: string[] = [];
    const app = await start({
      session: {
        registerSocket: async (_userId: string, socketId: string) => {
          await registration.promise;
          store.push(`stored ${socketId}`);
        },
        unregisterSocket: (socketId: string) => void store.push(`removed ${socketId}`),
      },
    });
    const socket = await connected(app, "/chat", await issuer.mint({ sub: "dave" }));
    const socketId = socket.id;
    socket.close();
    await waitFor(() => app.connectedSockets("/chat") === 0, 2000, "the server to see the disconnect");
    registration.resolve();
    await waitFor(() => store.length === 2, 2000, "registration and unregistration");
    expect(store).toEqual([`stored ${socketId}`, `removed ${socketId}`]);
  });

  test("a failing session manager is logged and does not break the connection", async () => {
    const app = await start({
      session: {
        registerSocket: () => {
          throw new Error("redis down");
        },
      },
    });
    const socket = await connected(app, "/chat", await issuer.mint({ sub: "erin" }));
    expect(await emitWithAck(socket, "whoami")).toMatchObject({ sub: "erin" });
    await waitFor(() => app.logs.records().some((r) => r.msg === "socket registration failed"), 2000, "the warning");
    expect(app.logs.records()).toContainEqual(expect.objectContaining({ level: 40, reason: "redis down", socketId: expect.any(String) }));
  });
});
