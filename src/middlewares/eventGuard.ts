import type { Socket } from "socket.io";
import type { DependencyContainer } from "tsyringe";
import { oidcContainer } from "../container.js";
import { permissionRequirement, type AccessRequirement } from "../services/AccessRequirement.js";
import type { RefusalAck } from "../socketProtocol.js";
import { TOKENS } from "../tokens.js";
import { readAuth } from "../transport/authState.js";
import { toSocketError } from "../transport/reportError.js";
import { refusalFor, type OidcGuard } from "./guards.js";
import type { SocketNext } from "./OidcSocketMiddleware.js";

/**
 * Event name → what a client needs to emit it: a permission, a list of
 * permissions (all of them), or a guard from `requireRoles` /
 * `requirePermissions` (to ask for roles, or for any of several permissions).
 */
export type EventRequirements = Readonly<Record<string, string | readonly string[] | OidcGuard>>;

/**
 * IOServer service middleware made by `requireEventPermissions`; place it
 * after `OidcSocketMiddleware`. Checks each incoming event with
 * `socket.use`, against the socket's current context (so a re-authenticated
 * socket is judged by its new token): a forbidden event never reaches the
 * service method, and its acknowledgement, if the client asked for one,
 * receives `{ ok: false, code: "ERR_FORBIDDEN", statusCode: 403, message }`.
 * Events not in the map pass.
 */
export class OidcSocketEventGuard {
  static container: DependencyContainer = oidcContainer;
  static requirements: ReadonlyMap<string, AccessRequirement> = new Map();

  handle(): (socket: Socket, next: SocketNext) => void {
    const { container, requirements } = this.constructor as typeof OidcSocketEventGuard;
    const logger = container.resolve(TOKENS.Logger);
    const onlyAuthentication: AccessRequirement = {
      description: `an authenticated socket (per-event checks on ${[...requirements.keys()].join(", ")})`,
      unmet: () => undefined,
    };
    return function oidcSocketEventGuard(socket, next) {
      const refusal = refusalFor(onlyAuthentication, readAuth(socket), logger, { transport: "socket", namespace: socket.nsp.name });
      if (refusal) {
        next(toSocketError(refusal));
        return;
      }
      socket.use((packet, nextPacket) => {
        const event = packet[0];
        const requirement = typeof event === "string" ? requirements.get(event) : undefined;
        if (requirement === undefined) {
          nextPacket();
          return;
        }
        // The common case, allowed, decided without building the refusal's log record.
        const auth = readAuth(socket);
        if (auth !== undefined && requirement.unmet(auth) === undefined) {
          nextPacket();
          return;
        }
        const forbidden = refusalFor(requirement, auth, logger, { transport: "socket", namespace: socket.nsp.name, event }, true);
        if (!forbidden) {
          nextPacket();
          return;
        }
        // The packet is dropped: not calling nextPacket() keeps it from every listener, the service method included.
        const ack: unknown = packet[packet.length - 1];
        if (typeof ack === "function") (ack as (answer: RefusalAck) => void)({ ok: false, ...forbidden.toJSON() });
      });
      next();
    };
  }
}

/** Compiles the map once; a malformed entry throws a `TypeError` naming the event. */
export function compileEventRequirements(map: EventRequirements): ReadonlyMap<string, AccessRequirement> {
  if (map === null || typeof map !== "object" || Array.isArray(map)) throw new TypeError("requireEventPermissions() takes an object { event: permissions }");
  const compiled = new Map<string, AccessRequirement>();
  for (const [event, needed] of Object.entries(map)) {
    try {
      compiled.set(event, isGuard(needed) ? needed.requirement : permissionRequirement(needed as string | string[]));
    } catch (error) {
      throw new TypeError(`requireEventPermissions(): event "${event}": ${(error as Error).message}`, { cause: error });
    }
  }
  if (compiled.size === 0) throw new TypeError("requireEventPermissions() needs at least one event");
  return compiled;
}

function isGuard(value: unknown): value is OidcGuard {
  return value !== null && typeof value === "object" && !Array.isArray(value) && "requirement" in value;
}

/** The event-guard class for `map`, resolving its logger from `container`. */
export function eventGuardFor(map: EventRequirements, container: DependencyContainer): typeof OidcSocketEventGuard {
  const requirements = compileEventRequirements(map);
  return class extends OidcSocketEventGuard {
    static override container = container;
    static override requirements = requirements;
  };
}
