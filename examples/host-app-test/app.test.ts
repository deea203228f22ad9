/**
 * Example 3, the tests: the host app's own jest tests. Each test gets an
 * isolated container with fake services (no issuer, no network beyond the
 * app's loopback port, nothing shared between tests) and runs the real app.
 */
import { afterEach, beforeEach, expect, test } from "@jest/globals";
import type { IOServer } from "ioserver";
import { io, type Socket as ClientSocket } from "socket.io-client";
// #region test-kit
import {
  createTestContainer,
  fakeVerifier,
  freePort,
  InMemoryUserProvisioner,
  RecordingSessionRegistrar,
} from "ioserver-oidc/testing";
import { startNotesApp } from "./app.js";

let server: IOServer;
let url: string;
let users: InMemoryUserProvisioner;
let sessions: RecordingSessionRegistrar;

beforeEach(async () => {
  users = new InMemoryUserProvisioner([
    { sub: "alice", id: 1, role: "admin" },
    { sub: "mallory", id: 2, isDisabled: true },
  ]);
  sessions = new RecordingSessionRegistrar();
  // A fresh container per test: these fakes exist for this test only.
  const oidc = createTestContainer({
    verifier: fakeVerifier({
      "alice-token": { sub: "alice", roles: ["admin"] },
      "bob-token": { sub: "bob", email: "bob@example.com" },
      "mallory-token": { sub: "mallory" },
    }),
    users,
    sessions,
  });
  const port = await freePort();
  server = await startNotesApp(port, oidc);
  url = `http://127.0.0.1:${port}`;
});

afterEach(() => server.stop());

const get = (path: string, token?: string) =>
  fetch(`${url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

test("a signed-in user reads their notes under their local id", async () => {
  const response = await get("/notes", "alice-token");
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ userId: "1", notes: [] });
});

test("no token, an unknown token and a disabled user are refused", async () => {
  expect((await get("/notes")).status).toBe(401);
  expect((await get("/notes", "forged-token")).status).toBe(401);
  const refused = await get("/notes", "mallory-token");
  expect(refused.status).toBe(403);
  expect(await refused.json()).toMatchObject({ code: "ERR_USER_DISABLED" });
});

test("a first-time user is provisioned from the token's profile", async () => {
  expect((await get("/notes", "bob-token")).status).toBe(200);
  expect(users.get("bob")?.profile?.email).toBe("bob@example.com");
});
// #endregion test-kit

function connect(namespace: string, token: string): Promise<ClientSocket> {
  const socket = io(`${url}${namespace}`, { auth: { token }, transports: ["websocket"], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (error) => {
      socket.close();
      reject(error);
    });
  });
}

test("a note added over Socket.IO is the author's, and the socket is tracked while connected", async () => {
  const socket = await connect("/notes", "alice-token");
  await sessions.waitFor((s) => s.socketsOf("1").length === 1);
  expect(await socket.emitWithAck("add", "buy milk")).toEqual({ count: 1 });
  expect(await (await get("/notes", "alice-token")).json()).toEqual({ userId: "1", notes: ["buy milk"] });
  expect(await (await get("/notes", "bob-token")).json()).toMatchObject({ notes: [] });
  socket.close();
  await sessions.waitFor((s) => s.live === 0);
});

test("the stats namespace admits admins only", async () => {
  const admin = await connect("/stats", "alice-token");
  expect(await admin.emitWithAck("stats", null)).toEqual({ users: 0 });
  admin.close();
  await expect(connect("/stats", "bob-token")).rejects.toThrow("ERR_FORBIDDEN");
});

test("a user disabled mid-test is refused from then on", async () => {
  expect((await get("/notes", "alice-token")).status).toBe(200);
  users.disable("alice");
  expect((await get("/notes", "alice-token")).status).toBe(403);
  await expect(connect("/notes", "alice-token")).rejects.toThrow("ERR_USER_DISABLED");
});
