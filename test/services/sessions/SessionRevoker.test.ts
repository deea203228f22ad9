import { expect, test } from "@jest/globals";
import { createOidcLogger, RoomSessionRevoker, SocketServerRegistry, type RoomBroadcaster } from "../../../src/index.js";

/** A namespace that records what was broadcast to which room. */
function recordingNamespace(name: string, log: string[]): RoomBroadcaster {
  return {
    in: (room: string) => ({
      emit: (event: string, payload: unknown) => (log.push(`${name} ${room} emit ${event} ${JSON.stringify(payload)}`), true),
      disconnectSockets: (close?: boolean) => void log.push(`${name} ${room} disconnect close=${String(close)}`),
    }),
  };
}

function revokerWith(servers: Map<string, RoomBroadcaster>[]) {
  const logs: Record<string, unknown>[] = [];
  const registry = new SocketServerRegistry();
  for (const nsps of servers) registry.add({ _nsps: nsps });
  const revoker = new RoomSessionRevoker(registry, createOidcLogger({ write: (line: string) => void logs.push(JSON.parse(line)) }, "info"));
  return { revoker, logs };
}

test("notifies, then disconnects, the user's room in every namespace of every known server", async () => {
  const log: string[] = [];
  const { revoker } = revokerWith([
    new Map([["/", recordingNamespace("/", log)], ["/chat", recordingNamespace("/chat", log)]]),
    new Map([["/admin", recordingNamespace("/admin", log)]]),
  ]);
  await revoker.revoke({ sub: "bob" });
  expect(log).toEqual([
    '/ ioserver-oidc:sub:bob emit auth:revoked {"message":"Your session was revoked"}',
    "/ ioserver-oidc:sub:bob disconnect close=false",
    '/chat ioserver-oidc:sub:bob emit auth:revoked {"message":"Your session was revoked"}',
    "/chat ioserver-oidc:sub:bob disconnect close=false",
    '/admin ioserver-oidc:sub:bob emit auth:revoked {"message":"Your session was revoked"}',
    "/admin ioserver-oidc:sub:bob disconnect close=false",
  ]);
});

test("targets the local user's room by userId, with the host's message", async () => {
  const log: string[] = [];
  const { revoker } = revokerWith([new Map([["/chat", recordingNamespace("/chat", log)]])]);
  await revoker.revoke({ userId: "42" }, { message: "Account closed" });
  expect(log[0]).toBe('/chat ioserver-oidc:user:42 emit auth:revoked {"message":"Account closed"}');
});

test("with no Socket.IO server known it revokes nothing and says so in the log", async () => {
  const { revoker, logs } = revokerWith([]);
  await revoker.revoke({ sub: "bob" });
  expect(logs).toEqual([expect.objectContaining({ level: 40, sub: "bob", msg: expect.stringContaining("no Socket.IO server known") })]);
});

/** A namespace with local sockets and rooms, as Socket.IO keeps them on this node. */
function localNamespace(rooms: Record<string, string[]>, log: string[]) {
  const sockets = new Map(
    [...new Set(Object.values(rooms).flat())].map((id) => [
      id,
      { emit: (event: string, payload: unknown) => void log.push(`${id} emit ${event} ${JSON.stringify(payload)}`), disconnect: () => void log.push(`${id} disconnect`) },
    ]),
  );
  return {
    in: () => ({ emit: () => true, disconnectSockets: () => undefined }),
    sockets,
    adapter: { rooms: new Map(Object.entries(rooms).map(([room, ids]) => [room, new Set(ids)])) },
  };
}

test("revokeMatching cuts, on this node only, the sockets of the revocation's room that the check refuses", async () => {
  const log: string[] = [];
  const nsp = localNamespace({ "ioserver-oidc:sid:s-1": ["a", "b"], "ioserver-oidc:sub:bob": ["a", "b", "c"] }, log);
  const { revoker, logs } = revokerWith([new Map([["/chat", nsp]])]);
  const cut = await revoker.revokeMatching({ kind: "sid", iss: "https://auth.example.com", sid: "s-1", expiresAt: Date.now() + 1000 }, (socket) => socket === nsp.sockets.get("a"));
  expect(cut).toBe(1);
  expect(log).toEqual(['a emit auth:revoked {"message":"Your session was revoked"}', "a disconnect"]);
  expect(logs).toEqual([expect.objectContaining({ level: 30, kind: "sid", sockets: 1, msg: "sessions revoked" })]);
});

test("revokeMatching looks in the jti room for { jti } and in the subject's room for { sub }", async () => {
  const log: string[] = [];
  const nsp = localNamespace({ "ioserver-oidc:jti:t-1": ["a"], "ioserver-oidc:sub:bob": ["b"] }, log);
  const { revoker } = revokerWith([new Map([["/chat", nsp]])]);
  const iss = "https://auth.example.com";
  expect(await revoker.revokeMatching({ kind: "jti", iss, jti: "t-1", expiresAt: 0 }, () => true)).toBe(1);
  expect(await revoker.revokeMatching({ kind: "sub", iss, sub: "bob", before: 0, expiresAt: 0 }, () => true)).toBe(1);
  expect(await revoker.revokeMatching({ kind: "sid", iss, sid: "nobody", expiresAt: 0 }, () => true)).toBe(0);
  expect(log.filter((line) => line.endsWith("disconnect"))).toEqual(["a disconnect", "b disconnect"]);
});

test("revoke({ sid }) broadcasts to the session's room; two targets at once are a TypeError", async () => {
  const log: string[] = [];
  const { revoker } = revokerWith([new Map([["/chat", recordingNamespace("/chat", log)]])]);
  await revoker.revoke({ sid: "s-9" });
  expect(log[1]).toBe("/chat ioserver-oidc:sid:s-9 disconnect close=false");
  await expect(revoker.revoke({ sid: "s-9", sub: "bob" } as never)).rejects.toThrow(TypeError);
});
