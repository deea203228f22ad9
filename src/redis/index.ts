/**
 * `ioserver-oidc/redis`: revocations and single-use ids shared by several
 * IOServer processes through Redis. Needs the optional peer dependency
 * `redis` (node-redis v4 or v5); the host creates and passes the client.
 * The main entry never loads this one.
 */
export { RedisRevocationStore, STALE_POLICIES, type RedisRevocationStoreOptions, type StalePolicy } from "./RedisRevocationStore.js";
export type { RedisCommandClient, RedisSubscriberClient } from "./redisClient.js";
