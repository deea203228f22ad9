/**
 * `ioserver-oidc/redis`: revocations and single-use ids shared by several
 * IOServer processes through Redis. Needs the optional peer dependency
 * `redis` (node-redis v4.6+, v5 or v6); the host creates and passes the client.
 * The main entry never loads this one.
 */
// tsyringe (behind the shared revocation checks) needs the Reflect metadata polyfill first.
import "reflect-metadata";

export { bindRedisRevocationStore } from "./bindRedisRevocationStore.js";
export { RedisRevocationStore, type RedisRevocationStoreOptions } from "./RedisRevocationStore.js";
export type { RedisCommandClient, RedisSubscriberClient } from "./redisClient.js";
