import type { Logger } from "pino";
import { SESSION_DEFAULTS } from "../config.js";
import { ERR_AUTH_TOKEN_INVALID, ERR_FORBIDDEN, ERR_USER_DISABLED, OidcError, toOidcError } from "../errors.js";
import { logRefusal, type AuthPipeline, type AuthResult } from "../services/AuthPipeline.js";
import { publishRefused } from "../services/diagnostics.js";
import type { Clock } from "../services/Clock.js";
import type { ConfigService } from "../services/ConfigService.js";
import type { SocketSessionRegistrar } from "../services/sessions/SocketSessionRegistrar.js";
import type { NamespaceHost } from "../services/sessions/SocketServerRegistry.js";
import type { RevocationStore } from "../services/sessions/RevocationStore.js";
import { DEFAULT_REVOKED_MESSAGE } from "../services/sessions/SessionRevoker.js";
import {
  AUTH_EXPIRED_EVENT,
  AUTH_REFRESH_EVENT,
  AUTH_REVOKED_EVENT,
  sessionRoom,
  subjectRoom,
  tokenRoom,
  userRoom,
  type AuthExpiredNotice,
  type AuthRefreshAck,
  type AuthRevokedNotice,
} from "../socketProtocol.js";
import { admissionsOf, attachAuth, readAuth } from "./authState.js";
import { messageCredential } from "./credentials.js";
import { handshakeTarget, type HandshakeSource } from "./dpopTarget.js";
import { DeadlineTimers, type Deadline } from "./DeadlineTimers.js";

/** The part of a Socket.IO server socket a live session uses (tests drive it with lightweight fakes). */
export interface SessionSocket {
  readonly id: string;
  join(room: string): unknown;
  leave(room: string): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  disconnect(close?: boolean): unknown;
  /** The handshake and namespace a DPoP proof sent with `auth:refresh` must name (a real socket has both). */
  readonly handshake?: HandshakeSource["handshake"];
  readonly nsp?: HandshakeSource["nsp"];
}

/** The part of a Socket.IO namespace the lifecycle hooks into. */
export interface SessionNamespace {
  readonly name: string;
  readonly server: NamespaceHost;
  on(event: "connection", listener: (socket: SessionSocket) => void): unknown;
}

export interface SessionDependencies {
  pipeline: AuthPipeline;
  registrar: SocketSessionRegistrar;
  config: ConfigService;
  clock: Clock;
  logger: Logger;
  /** Learns the Socket.IO servers sockets live on, so the revoker can reach them. */
  servers: { add(server: NamespaceHost): void };
  /** The revocation check, made again once a socket joined its rooms (see `LiveSession.start`). */
  revocations: Pick<RevocationStore, "isRevoked">;
}

type ExpiryPolicy = typeof SESSION_DEFAULTS;

/**
 * `auth:refresh` requests a socket may have at once: the one running and
 * one waiting. Each holds its payload and costs a verification and a
 * provisioner call, so more are refused at once instead of queued.
 */
const MAX_REFRESHES_IN_FLIGHT = 2;
/** Longest delay `setTimeout` honours; a later deadline is reached in several hops. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
const WATCHED = Symbol.for("ioserver-oidc.liveSessions");
/** Where every session's chains start: one settled promise shared by all, rather than two per socket. */
const SETTLED: Promise<void> = Promise.resolve();

/**
 * The life of an authenticated socket after the handshake: it joins its
 * user's rooms, is registered with the `SocketSessionRegistrar`, is cut
 * when its token expires, can re-authenticate in-band (`auth:refresh`), and
 * leaves no timer or registration behind when it disconnects.
 */
export class LiveSocketSessions {
  /** The expiry deadlines of this namespace's sockets, on one timer. */
  private readonly timers = new DeadlineTimers();

  constructor(private readonly deps: SessionDependencies) {}

  /**
   * Starts sessions on `namespace`'s "connection" event, i.e. once every
   * middleware of the namespace accepted the socket: a socket a later guard
   * refuses never becomes live. Installs itself once per namespace; the
   * listener is in place before any client packet can arrive.
   */
  watch(namespace: SessionNamespace): void {
    const marked = namespace as SessionNamespace & { [WATCHED]?: true };
    if (marked[WATCHED]) return;
    marked[WATCHED] = true;
    this.deps.servers.add(namespace.server);
    namespace.on("connection", (socket) => {
      const auth = readAuth(socket);
      if (auth) this.open(socket, auth);
    });
  }

  /** Makes one connected, authenticated socket live. */
  open(socket: SessionSocket, auth: AuthResult): void {
    new LiveSession(socket, auth, this.deps, this.expiryPolicy(), this.timers).start();
  }

  /**
   * The expiry settings. A host whose own verifier accepted the socket may
   * have no `AUTH_SERVICE_*` configuration at all: the documented defaults
   * (disconnect, 5 s tolerance) apply then, rather than an exception thrown
   * inside Socket.IO's connection event.
   */
  private expiryPolicy(): ExpiryPolicy {
    try {
      const { socketExpiry, clockToleranceSeconds } = this.deps.config.get();
      return { socketExpiry, clockToleranceSeconds };
    } catch {
      return SESSION_DEFAULTS;
    }
  }
}

class LiveSession {
  private timer: Deadline | undefined;
  private closed = false;
  /** Refreshes run one at a time, in the order the client sent them. */
  private refreshes: Promise<void> = SETTLED;
  /** Refreshes running or waiting in `refreshes`. */
  private refreshesInFlight = 0;
  /** Registrar calls run in order, so an unregister never overtakes its register. */
  private registrations: Promise<void> = SETTLED;

  constructor(
    private readonly socket: SessionSocket,
    private current: AuthResult,
    private readonly deps: SessionDependencies,
    private readonly config: ExpiryPolicy,
    private readonly timers: DeadlineTimers,
  ) {}

  start(): void {
    const { sub, userId } = this.current.context;
    this.join(subjectRoom(sub));
    this.join(userRoom(userId));
    for (const room of tokenRooms(this.current)) this.join(room);
    this.register(userId, sub);
    this.arm();
    this.socket.on(AUTH_REFRESH_EVENT, (request, ack) => this.queueRefresh(request, typeof ack === "function" ? (ack as (a: AuthRefreshAck) => void) : undefined));
    // `on`, not `once`: a socket disconnects once, and `once` keeps a wrapper per socket. close() ignores a repeat.
    this.socket.on("disconnect", () => this.close());
    // A revocation made between the handshake's check and the joins above found no socket in its room: look again.
    if (this.revokedNow()) this.revoke();
  }

  private revokedNow(): boolean {
    try {
      return this.deps.revocations.isRevoked(this.current.claims, this.deps.clock.now());
    } catch {
      // A store that cannot vouch for its state refuses new requests; an open socket is not cut for it.
      return false;
    }
  }

  private revoke(): void {
    const notice: AuthRevokedNotice = { message: DEFAULT_REVOKED_MESSAGE };
    this.socket.emit(AUTH_REVOKED_EVENT, notice);
    this.socket.disconnect();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timers.cancel(this.timer);
    this.timer = undefined;
    const { userId } = this.current.context;
    this.track(() => this.deps.registrar.unregister(userId, this.socket.id), "unregistration");
  }

  /** Schedules the disconnect at `exp` + clock tolerance (by the injectable clock), unless the policy is "ignore". */
  private arm(): void {
    this.timers.cancel(this.timer);
    this.timer = undefined;
    const exp = this.current.claims.exp;
    if (this.config.socketExpiry === "ignore" || typeof exp !== "number" || !Number.isFinite(exp)) return;
    this.schedule((exp + this.config.clockToleranceSeconds) * 1000);
  }

  private schedule(deadlineMs: number): void {
    const delay = Math.max(0, deadlineMs - this.deps.clock.now());
    const hop = Math.min(delay, MAX_TIMER_DELAY_MS);
    this.timer = this.timers.add(hop, () => (hop < delay ? this.schedule(deadlineMs) : this.expire()));
  }

  private expire(): void {
    this.timer = undefined;
    if (this.closed) return;
    const notice: AuthExpiredNotice = { exp: this.current.claims.exp, at: Math.floor(this.deps.clock.now() / 1000) };
    this.deps.logger.debug({ sub: this.current.context.sub, socketId: this.socket.id, exp: notice.exp }, "socket token expired: disconnecting");
    this.socket.emit(AUTH_EXPIRED_EVENT, notice);
    // Only this namespace's socket: other namespaces multiplexed on the connection may hold fresher tokens.
    this.socket.disconnect();
  }

  /**
   * Queues a refresh behind the one running, or refuses it at once when one
   * is already waiting. The chain always settles: a failure is logged and
   * the next refresh still runs.
   */
  private queueRefresh(request: unknown, ack: ((answer: AuthRefreshAck) => void) | undefined): void {
    if (this.refreshesInFlight >= MAX_REFRESHES_IN_FLIGHT) {
      const busy = new OidcError(ERR_AUTH_TOKEN_INVALID, {
        message: "A refresh is already in progress on this socket: wait for its answer before sending another",
        reason: "auth:refresh while another one is running and one is waiting",
      });
      ack?.({ ok: false, ...this.refused(busy).toJSON() });
      return;
    }
    this.refreshesInFlight += 1;
    this.refreshes = this.refreshes
      .then(() => this.refresh(request, ack))
      .catch((error: unknown) => this.failed(error, "re-authentication"))
      .finally(() => {
        this.refreshesInFlight -= 1;
      });
  }

  /**
   * In-band re-authentication: the new token goes through the whole
   * pipeline (signature, claims, provisioning, disabled check), must name
   * the same subject and still meet the guards that admitted the socket.
   * On success the context and expiry move to the new token; on failure
   * nothing changes, except that a disabled account is cut at once.
   */
  private async refresh(request: unknown, ack: ((answer: AuthRefreshAck) => void) | undefined): Promise<void> {
    if (this.closed) return;
    try {
      const result = await this.deps.pipeline.authenticateRequest(() => this.refreshCredential(request), "socket");
      // A subject is only unique per issuer: the same sub at another trusted issuer is someone else.
      if (result.context.sub !== this.current.context.sub || result.context.iss !== this.current.context.iss) {
        const reason = result.context.sub !== this.current.context.sub ? "auth:refresh with a different sub" : "auth:refresh with a different iss";
        throw this.refused(new OidcError(ERR_AUTH_TOKEN_INVALID, { message: "The new token belongs to another subject", reason }));
      }
      for (const requirement of admissionsOf(this.socket)) {
        const unmet = requirement.unmet(result);
        if (unmet !== undefined) throw this.refused(new OidcError(ERR_FORBIDDEN, { message: unmet, reason: `auth:refresh no longer meets ${requirement.description}` }));
      }
      if (this.closed) return;
      this.apply(result);
      ack?.({ ok: true, exp: result.claims.exp });
    } catch (error) {
      const refusal = toOidcError(error, ERR_AUTH_TOKEN_INVALID);
      // The pipeline logged its own refusals at their level; this line ties the outcome to the socket.
      this.deps.logger.debug({ sub: this.current.context.sub, socketId: this.socket.id, code: refusal.code, reason: refusal.reason }, "socket re-authentication refused");
      ack?.({ ok: false, ...refusal.toJSON() });
      if (refusal.code === ERR_USER_DISABLED && !this.closed) {
        const notice: AuthRevokedNotice = { message: refusal.message };
        this.socket.emit(AUTH_REVOKED_EVENT, notice);
        this.socket.disconnect();
      }
    }
  }

  /**
   * The credential of an `auth:refresh`: `{ token }` or the token alone, or
   * `{ token, dpop }` with a fresh proof of the handshake's request (GET,
   * the namespace URL), single-use like any proof.
   */
  private refreshCredential(request: unknown) {
    const { handshake, nsp } = this.socket;
    const target = () => (handshake !== undefined && nsp !== undefined ? handshakeTarget({ handshake, nsp }) : { method: "GET", protocol: "", host: undefined, path: "" });
    const names = { token: "auth:refresh token", dpop: "auth:refresh dpop" };
    return isTokenObject(request) ? messageCredential(request.token, (request as { dpop?: unknown }).dpop, names, target) : messageCredential(request, undefined, names, target);
  }

  /** Logs a refusal decided here (the pipeline logs its own). */
  private refused(refusal: OidcError): OidcError {
    logRefusal(this.deps.logger, refusal, { transport: "socket", event: AUTH_REFRESH_EVENT, sub: this.current.context.sub, socketId: this.socket.id });
    publishRefused("socket", refusal);
    return refusal;
  }

  private apply(result: AuthResult): void {
    const before = this.current.context;
    const after = result.context;
    if (after.userId !== before.userId) {
      this.leave(userRoom(before.userId));
      this.join(userRoom(after.userId));
      this.track(() => this.deps.registrar.unregister(before.userId, this.socket.id), "unregistration");
      this.register(after.userId, after.sub);
    }
    // The session and token rooms follow the token: revoking the old one must not cut the socket any more.
    const next = tokenRooms(result);
    for (const room of tokenRooms(this.current)) if (!next.includes(room)) this.leave(room);
    for (const room of next) this.join(room);
    this.current = result;
    attachAuth(this.socket, result);
    this.arm();
  }

  private register(userId: string, sub: string): void {
    this.track(() => this.deps.registrar.register(userId, this.socket.id, sub), "registration");
  }

  /** Joined synchronously, so a revocation right after the handshake already finds the socket in its rooms. */
  private join(room: string): void {
    this.settle(() => this.socket.join(room), "room join");
  }

  private leave(room: string): void {
    this.settle(() => this.socket.leave(room), "room leave");
  }

  /** Registrar calls run in order; a failure is logged, never thrown at Socket.IO. */
  private track(work: () => void | Promise<void>, action: string): void {
    this.registrations = this.registrations.then(work).catch((error: unknown) => this.failed(error, action));
  }

  /** Runs `work` now; a throw or a rejected promise (adapters may return one) is logged. */
  private settle(work: () => unknown, action: string): void {
    try {
      const outcome = work();
      if (outcome instanceof Promise) outcome.catch((error: unknown) => this.failed(error, action));
    } catch (error) {
      this.failed(error, action);
    }
  }

  private failed(error: unknown, action: string): void {
    this.deps.logger.warn({ reason: (error as Error)?.message ?? String(error), socketId: this.socket.id }, `socket ${action} failed`);
  }
}

/** The rooms of the token's own `sid` and `jti`, where `{ sid }` and `{ jti }` revocations look. */
function tokenRooms(auth: AuthResult): string[] {
  const { sid, jti } = auth.claims;
  const rooms: string[] = [];
  if (typeof sid === "string" && sid !== "") rooms.push(sessionRoom(sid));
  if (typeof jti === "string" && jti !== "") rooms.push(tokenRoom(jti));
  return rooms;
}

function isTokenObject(value: unknown): value is { token: unknown } {
  return value !== null && typeof value === "object" && "token" in value;
}
