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
