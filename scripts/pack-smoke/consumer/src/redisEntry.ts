/**
 * The ./redis entry resolves and type-checks (strict, skipLibCheck off) in
 * an app that has not installed `redis`: its types name no Redis package,
 * and the host's client only has to fit `RedisCommandClient`.
 */
import type { bindRedisRevocationStore, RedisCommandClient, RedisRevocationStore, RedisRevocationStoreOptions } from "ioserver-oidc/redis";

export type RedisEntry = {
  bind: typeof bindRedisRevocationStore;
  store: RedisRevocationStore;
  options: RedisRevocationStoreOptions;
  client: RedisCommandClient;
};
