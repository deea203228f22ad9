/**
 * What the token cache costs or saves per verification when the working
 * set is larger than the cache, without HTTP in the way:
 * `npx tsx bench/cacheCost.ts [population] [cacheSize]` (default 3,000 RS256
 * tokens and a cache of 1,000). The real verifier, with the cache on and
 * off, verifies tokens drawn uniformly and with Zipf(1) popularity, one at
 * a time, the two alternating over 3 rounds of 10,000 draws (the same
 * seeded draws for both); µs of process CPU time and of wall time per
 * verification, and the cache's hit ratio.
 */
import "reflect-metadata";
import { systemClock } from "../src/services/Clock.js";
import { StaticConfigService } from "../src/services/ConfigService.js";
import { JwksVerifier } from "../src/services/verification/JwksVerifier.js";
import { KeySetRegistry } from "../src/services/keys/KeySetRegistry.js";
import { createOidcLogger } from "../src/services/logger.js";
import { BoundedVerifiedTokenCache } from "../src/services/verification/VerifiedTokenCache.js";
import { AUDIENCE, fmt, median, mintPool, startBenchIssuer, table } from "./common.js";
import { uniform, zipf } from "./workloads.js";

const population = Number(process.argv[2] ?? 3000);
const cacheSize = Number(process.argv[3] ?? 1000);
const CALLS = 10_000;
const bench = await startBenchIssuer();
const pool = await mintPool(bench, "RS256", population);
const verifierWith = (size: number) => {
  const cache = new BoundedVerifiedTokenCache(systemClock);
  const config = new StaticConfigService({ authServiceUrl: bench.issuer.issuer, appSlug: AUDIENCE, jwksUri: bench.issuer.jwksUri, issuer: bench.issuer.issuer, tokenCacheSize: size });
  return { cache, verifier: new JwksVerifier(config, new KeySetRegistry(systemClock, createOidcLogger(undefined, "silent")), systemClock, cache) };
};
const rows: string[][] = [[`RS256, ${fmt(population)} tokens, cache of ${fmt(cacheSize)}: µs per verification`, "CPU", "wall", "CPU ÷ cache off, per round", "hit ratio"]];
for (const [label, draw] of [
  ["uniform", uniform],
  ["Zipf(1)", zipf],
] as const) {
  const on = verifierWith(cacheSize);
  const off = verifierWith(0);
  const run = async (subject: typeof on, seed: number, calls: number) => {
    const pick = draw(population, seed);
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < calls; i++) await subject.verifier.verify(pool[pick()] ?? "");
    const used = process.cpuUsage(cpu);
    return { cpu: (used.user + used.system) / calls, wall: ((performance.now() - started) * 1000) / calls };
  };
  await run(on, 1, CALLS / 2);
  await run(off, 1, CALLS / 2);
  const stats = { ...on.cache.stats };
  const samples = { on: [] as { cpu: number; wall: number }[], off: [] as { cpu: number; wall: number }[] };
  for (let round = 0; round < 3; round++) {
    samples.on.push(await run(on, 10 + round, CALLS));
    samples.off.push(await run(off, 10 + round, CALLS));
  }
  const hits = on.cache.stats.hits - stats.hits;
  const lookups = hits + on.cache.stats.misses - stats.misses;
  const ratios = samples.on.map((s, i) => s.cpu / (samples.off[i]?.cpu ?? Number.NaN));
  const cell = (list: { cpu: number; wall: number }[], pick: "cpu" | "wall") => fmt(median(list.map((s) => s[pick])), 1);
  rows.push([`${label}, default policy`, cell(samples.on, "cpu"), cell(samples.on, "wall"), `${fmt(median(ratios), 2)}× [${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)}]`, `${fmt((100 * hits) / lookups, 1)} %`]);
  rows.push([`${label}, cache off`, cell(samples.off, "cpu"), cell(samples.off, "wall"), "", ""]);
}
await bench.issuer.close();
console.log(table(rows));
