/**
 * `ioserver-oidc/client`: keeps a socket.io-client socket authenticated
 * against a namespace protected by `OidcSocketMiddleware`.
 *
 * It loads nothing of the server side and no socket.io-client code of its
 * own (the host passes its socket), so it runs in browsers and in Node.
 */
import type { Socket } from "socket.io-client";
import { AUTH_EXPIRED_EVENT, AUTH_REFRESH_EVENT, AUTH_REVOKED_EVENT, type AuthRefreshAck, type AuthRevokedNotice } from "../socketProtocol.js";
import { tokenExpiry } from "./tokenExpiry.js";

export { tokenExpiry } from "./tokenExpiry.js";

/** Options of `keepSocketAuthenticated`. */
export interface SocketAuthOptions {
  /**
   * Returns a current access token (the JWT, not a session token). Called for
   * every handshake (first connection and every reconnection) and before each
   * `auth:refresh`, so it should return a fresh token when the last one is
   * near its expiry.
   */
  getToken: () => string | Promise<string>;
  /**
   * For a DPoP-bound token (RFC 9449, docs/dpop.md): returns a fresh proof for
   * `token` of `GET` on the namespace URL (what the socket was created with,
   * without query), e.g. with panva's `dpop` package:
   * `(token) => generateProof(keyPair, "https://api.example.com/chat", "GET", undefined, token)`.
   * Called for every handshake and every `auth:refresh`, which then carry `{ token, dpop }`.
   * `nonce` is the server's latest DPoP nonce, once it sent one (servers with
   * `AUTH_SERVICE_DPOP_NONCE_SECRET`): put it in the proof's `nonce` claim.
   * A handshake or refresh refused with `use_dpop_nonce` is retried once
   * with the new nonce.
   */
  dpopProof?: (token: string, nonce?: string) => string | Promise<string>;
  /** Send `auth:refresh` this many seconds before the token's `exp` (default 60; at most half the remaining lifetime). */
  refreshBeforeSeconds?: number;
  /** How long to wait for the `auth:refresh` acknowledgement, in ms (default 5000); no answer counts as a refusal. */
  ackTimeoutMs?: number;
  /** Called once when the server revokes the session (`auth:revoked`); the helper has stopped by then. */
  onRevoked?: (notice: AuthRevokedNotice) => void;
  /** Called when `getToken` throws or a refresh is refused; the helper then reconnects with a new token. */
  onError?: (error: Error) => void;
}

/** What `keepSocketAuthenticated` returns. */
export interface SocketAuthHandle {
  /** Stops refreshing and reconnecting, and removes the helper's listeners. The socket stays as it is. */
  stop(): void;
  /** True once `stop()` ran or the session was revoked. */
  readonly stopped: boolean;
}

/**
 * Makes `socket` authenticate with `getToken()` on every handshake, refresh
 * in-band (`auth:refresh`) before the token expires, reconnect with a new
 * token after `auth:expired` or a refused refresh, and stop for good on
 * `auth:revoked`. Call it before `socket.connect()` (create the socket with
 * `autoConnect: false`), so the first handshake already uses `getToken()`.
 *
 * The token's `exp` is read from its payload without verifying it: the
 * client only uses it to schedule a refresh; the server decides.
 *
 * @example
 * ```ts
 * import { io } from "socket.io-client";
 * import { keepSocketAuthenticated } from "ioserver-oidc/client";
 *
 * const socket = io("https://api.example.com/chat", { autoConnect: false, transports: ["websocket"] });
 * keepSocketAuthenticated(socket, {
 *   getToken: async () => (await fetch("/api/auth/token", { credentials: "include" }).then((r) => r.json())).token,
 *   onRevoked: () => showSignIn(),
 * });
 * socket.connect();
 * ```
 */
export function keepSocketAuthenticated(socket: Socket, options: SocketAuthOptions): SocketAuthHandle {
  if (typeof options?.getToken !== "function") throw new TypeError("keepSocketAuthenticated: options.getToken must be a function");
  const refreshBeforeMs = (options.refreshBeforeSeconds ?? 60) * 1000;
  const ackTimeoutMs = options.ackTimeoutMs ?? 5000;
  let stopped = false;
  let expired = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** The token of the current handshake or last accepted refresh. */
  let current: string | undefined;
  /** Counts connections, so a refresh begun on an earlier one is dropped instead of sent on the next. */
  let connection = 0;
  /** The server's latest DPoP nonce (a refusal's `dpopNonce`), for the next proof. */
  let nonce: string | undefined;
  const proofFor = async (token: string): Promise<string | undefined> => (options.dpopProof ? options.dpopProof(token, nonce) : undefined);
  /** Takes a refusal's nonce; true when the refusal asked for it (`use_dpop_nonce`) and it is new, so one retry may succeed. */
  const learnNonce = (refusal: { dpopNonce?: unknown; challenge?: unknown } | undefined): boolean => {
    if (typeof refusal?.dpopNonce !== "string" || refusal.dpopNonce === nonce) return false;
    nonce = refusal.dpopNonce;
    return typeof refusal.challenge === "string" && refusal.challenge.includes('error="use_dpop_nonce"');
  };

  const report = (error: unknown): void => options.onError?.(error instanceof Error ? error : new Error(String(error)));
  const clearTimer = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const schedule = (exp: number | undefined): void => {
    clearTimer();
    if (stopped || exp === undefined) return;
    const remainingMs = exp * 1000 - Date.now();
    const delay = Math.max(0, remainingMs - Math.min(refreshBeforeMs, remainingMs / 2));
    timer = setTimeout(() => void refresh(), delay);
    // In Node, a pending refresh alone must not keep the process alive.
    (timer as { unref?: () => void }).unref?.();
  };
  const reconnect = (): void => {
    if (stopped) return;
    socket.disconnect();
    socket.connect();
  };

  async function refresh(retried = false): Promise<void> {
    timer = undefined;
    const startedOn = connection;
    const outdated = (): boolean => stopped || startedOn !== connection || !socket.connected;
    let token: string;
    let answer: AuthRefreshAck;
    try {
      token = await options.getToken();
      if (outdated()) return;
      const payload = options.dpopProof ? { token, dpop: await proofFor(token) } : token;
      if (outdated()) return;
      answer = await socket.timeout(ackTimeoutMs).emitWithAck(AUTH_REFRESH_EVENT, payload);
    } catch (error) {
      if (outdated()) return;
      report(error);
      return reconnect();
    }
    if (outdated()) return;
    if (answer?.ok === true) {
      current = token;
      return schedule(answer.exp ?? tokenExpiry(token));
    }
    if (learnNonce(answer?.ok === false ? answer : undefined) && !retried) return refresh(true);
    report(Object.assign(new Error(answer?.message ?? "auth:refresh refused"), { code: answer?.code, statusCode: answer?.statusCode }));
    reconnect();
  }

  const previousAuth = socket.auth;
  socket.auth = (callback: (data: object) => void) => {
    Promise.resolve()
      .then(() => options.getToken())
      .then(async (token) => ({ token, dpop: await proofFor(token) }))
      .then(
        ({ token, dpop }) => {
          current = token;
          callback({ ...(typeof previousAuth === "object" ? previousAuth : {}), token, ...(dpop === undefined ? {} : { dpop }) });
        },
        (error: unknown) => {
          report(error);
          // The handshake then fails with ERR_AUTH_TOKEN_REQUIRED, which the app sees as connect_error.
          callback({});
        },
      );
  };

  const onConnect = (): void => {
    connection += 1;
    expired = false;
    schedule(current === undefined ? undefined : tokenExpiry(current));
  };
  const onExpired = (): void => {
    expired = true;
  };
  const onRevoked = (notice: AuthRevokedNotice): void => {
    handle.stop();
    options.onRevoked?.(notice);
  };
  /** A handshake refused for want of the server's nonce is tried again, once per new nonce (socket.io-client does not retry a refused handshake). */
  const onConnectError = (error: Error & { data?: { dpopNonce?: unknown; challenge?: unknown } }): void => {
    if (!stopped && learnNonce(error.data)) socket.connect();
  };
  const onDisconnect = (reason: string): void => {
    clearTimer();
    // socket.io-client reconnects by itself after transport failures, but not after a server-side disconnect.
    if (expired && reason === "io server disconnect") socket.connect();
  };
  socket.on("connect", onConnect);
  socket.on(AUTH_EXPIRED_EVENT, onExpired);
  socket.on(AUTH_REVOKED_EVENT, onRevoked);
  socket.on("disconnect", onDisconnect);
  socket.on("connect_error", onConnectError);

  const handle: SocketAuthHandle = {
    stop() {
      stopped = true;
      clearTimer();
      socket.off("connect", onConnect);
      socket.off(AUTH_EXPIRED_EVENT, onExpired);
      socket.off(AUTH_REVOKED_EVENT, onRevoked);
      socket.off("disconnect", onDisconnect);
      socket.off("connect_error", onConnectError);
    },
    get stopped() {
      return stopped;
    },
  };
  return handle;
}
