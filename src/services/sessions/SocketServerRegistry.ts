/** A socket connected to this node, as revocation handles it. */
export interface LocalSocket {
  emit(event: string, ...args: unknown[]): unknown;
  disconnect(close?: boolean): unknown;
}

/**
 * The part of a Socket.IO namespace revocation uses: a room-scoped
 * broadcast that the adapter carries to every node, and this node's own
 * sockets and rooms (Socket.IO's `namespace.sockets` and
 * `namespace.adapter.rooms`, kept locally by every adapter).
 */
export interface RoomBroadcaster {
  in(room: string): {
    emit(event: string, ...args: unknown[]): boolean;
    disconnectSockets(close?: boolean): void;
  };
  readonly sockets?: ReadonlyMap<string, LocalSocket>;
  readonly adapter?: { readonly rooms: ReadonlyMap<string, ReadonlySet<string>> };
}

/** The part of a Socket.IO `Server` the registry reads: its namespaces. */
export interface NamespaceHost {
  readonly _nsps: ReadonlyMap<string, RoomBroadcaster>;
}

/**
 * The Socket.IO servers whose sockets this container authenticates. The
 * socket middleware adds its server when it sees the first socket; a node
 * that may have to revoke sessions before any socket reached it (an admin
 * HTTP node) adds its server at startup:
 *
 * @example
 * ```ts
 * await server.start();
 * oidcContainer.resolve(TOKENS.SocketServerRegistry).add(server.getApp().io);
 * ```
 *
 * Knows nothing of Socket.IO beyond the shapes above.
 */
export class SocketServerRegistry {
  private readonly servers = new Set<NamespaceHost>();

  add(server: NamespaceHost): void {
    this.servers.add(server);
  }

  /** Every namespace of every known server, including those no socket reached yet on this node. */
  *namespaces(): Iterable<RoomBroadcaster> {
    for (const server of this.servers) yield* server._nsps.values();
  }
}
