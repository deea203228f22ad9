import type { Logger } from "pino";
import type { Clock } from "../services/Clock.js";
import type { RevocationStore } from "../services/sessions/RevocationStore.js";
import type { SessionRevoker } from "../services/sessions/SessionRevoker.js";
import { readAuth } from "./authState.js";

/** Stores already watched, per revoker: one subscription each, however many namespaces a container guards. */
const watched = new WeakMap<RevocationStore, WeakSet<SessionRevoker>>();

/**
 * Makes every revocation the store hears of (added here or, with a shared
 * store, on any node) cut this node's live sockets it now refuses: the
 * revoker looks in the revocation's room (`sid`, `jti` or `sub`) and cuts
 * the sockets whose current token the store reports revoked, so a socket
 * that re-authenticated after a "sub before T" cut-off stays. Installed
 * once per store and revoker; later calls do nothing.
 */
export function enforceRevocations(store: RevocationStore, revoker: SessionRevoker, clock: Clock, logger: Logger): void {
  let revokers = watched.get(store);
  if (revokers === undefined) watched.set(store, (revokers = new WeakSet()));
  if (revokers.has(revoker)) return;
  revokers.add(revoker);
  store.onRevoked((revocation) => {
    const refuses = (socket: object): boolean => {
      const auth = readAuth(socket);
      try {
        return auth !== undefined && store.isRevoked(auth.claims, clock.now());
      } catch {
        // The store cannot vouch for its state: new requests are refused, open sockets are not cut for it.
        return false;
      }
    };
    revoker.revokeMatching(revocation, refuses).catch((error: unknown) => {
      logger.warn({ reason: (error as Error)?.message ?? String(error), kind: revocation.kind }, "revoked sessions could not be cut");
    });
  });
}
