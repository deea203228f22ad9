import type { DependencyContainer } from "tsyringe";
import { TOKENS } from "../tokens.js";
import { RedisRevocationStore, type RedisRevocationStoreOptions } from "./RedisRevocationStore.js";

/**
 * Makes `container` (default: the package's `oidcContainer`) share its
 * revocations and single-use ids through Redis: builds a
 * `RedisRevocationStore` with the container's logger, clock and
 * `AUTH_SERVICE_REVOCATION_*` settings, binds it as `TOKENS.RevocationStore`
 * and starts it. Call it before `server.start()`; await the returned
 * store's `start()` when a node must not serve before its first sync.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { oidcContainer } from "ioserver-oidc";
 * import { bindRedisRevocationStore } from "ioserver-oidc/redis";
 *
 * const redis = createClient({ url: process.env.REDIS_URL });
 * redis.on("error", (err) => log.warn(err));
 * await redis.connect();
 * bindRedisRevocationStore(oidcContainer, { client: redis });
 * ```
 */
export function bindRedisRevocationStore(
  container: DependencyContainer,
  options: Pick<RedisRevocationStoreOptions, "client" | "subscriber" | "keyPrefix" | "commandTimeoutMs"> & Partial<RedisRevocationStoreOptions>,
): RedisRevocationStore {
  const config = container.resolve(TOKENS.ConfigService).get();
  const store = new RedisRevocationStore({
    logger: container.resolve(TOKENS.Logger),
    clock: container.resolve(TOKENS.Clock),
    maxStalenessSeconds: config.revocationMaxStalenessSeconds,
    stalePolicy: config.revocationStalePolicy,
    ...options,
  });
  container.register(TOKENS.RevocationStore, { useValue: store });
  void store.start();
  return store;
}
