/**
 * Memory under a flood of distinct valid tokens, in its own process:
 * `node --expose-gc --import tsx bench/memory.ts <count> <cacheSize> [--json]`.
 * Each token is minted, verified once by the real verifier (so it lands in
 * the cache) and dropped by the bench, so what stays resident is what
 * ioserver-oidc keeps.
 */
import "reflect-metadata";
import { systemClock } from "../src/services/Clock.js";
import { StaticConfigService } from "../src/services/ConfigService.js";
import { JwksVerifier } from "../src/services/verification/JwksVerifier.js";
import { KeySetRegistry } from "../src/services/keys/KeySetRegistry.js";
import { createOidcLogger } from "../src/services/logger.js";
import { BoundedVerifiedTokenCache } from "../src/services/verification/VerifiedTokenCache.js";
import { TestIssuer } from "../src/testing/TestIssuer.js";
import { AUDIENCE } from "./common.js";

export interface MemoryResult {
  tokens: number;
  cacheSize: number;
  cacheEntries: number;
  tokenBytes: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  heapUsedAfterMiB: number;
}

const count = Number(process.argv[2]);
const cacheSize = Number(process.argv[3]);
if (!Number.isInteger(count) || !Number.isInteger(cacheSize)) throw new Error("usage: memory.ts <count> <cacheSize> [--json]");
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with node --expose-gc");
const mib = (bytes: number) => bytes / 1024 / 1024;

const issuer = await TestIssuer.start({ alg: "EdDSA", audience: AUDIENCE });
const cache = new BoundedVerifiedTokenCache(systemClock);
const config = new StaticConfigService({ authServiceUrl: issuer.url, appSlug: AUDIENCE, jwksUri: issuer.jwksUri, issuer: issuer.issuer, tokenCacheSize: cacheSize });
const verifier = new JwksVerifier(config, new KeySetRegistry(systemClock, createOidcLogger(undefined, "silent")), systemClock, cache);
// About 1 KB each, as access tokens carrying a few dozen permissions are.
const permissions = Array.from({ length: 20 }, (_, i) => `resource-${i}:read`);
const mint = (i: number) =>
  issuer.mint({ sub: `user-${i}`, email: `user-${i}@example.com`, name: `User ${i}`, roles: ["user", "editor"], permissions }, { expiresIn: 3600 });

// Warm-up: load the JWKS, compile the hot paths, then take the starting point.
for (let i = 0; i < 200; i++) await verifier.verify(await mint(i));
gc();
const rssBefore = process.memoryUsage().rss;
let tokenBytes = 0;
for (let i = 0; i < count; i++) {
  const token = await mint(i);
  tokenBytes = token.length;
  await verifier.verify(token);
}
gc();
const { rss, heapUsed } = process.memoryUsage();
await issuer.close();

const result: MemoryResult = {
  tokens: count,
  cacheSize,
  cacheEntries: cache.size,
  tokenBytes,
  rssBeforeMiB: mib(rssBefore),
  rssAfterMiB: mib(rss),
  heapUsedAfterMiB: mib(heapUsed),
};
console.log(process.argv.includes("--json") ? JSON.stringify(result) : result);
