/**
 * Micro benchmark, one process: the cost of one verification on each path,
 * per algorithm, measured sequentially (µs per token, lower is better).
 * Run alone with `npx tsx bench/micro.ts [--quick]`; `bench/run.ts` runs it
 * in a child process with `--json`.
 */
import "reflect-metadata";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash, verify as cryptoVerify, createPublicKey, type KeyObject } from "node:crypto";
import { createRemoteJWKSet, importJWK, jwtVerify, type CryptoKey, type JWK } from "jose";
import { systemClock } from "../src/services/Clock.js";
import { StaticConfigService } from "../src/services/ConfigService.js";
import { JwksVerifier } from "../src/services/JwksVerifier.js";
import { KeySetRegistry } from "../src/services/KeySetRegistry.js";
import { createOidcLogger } from "../src/services/logger.js";
import { LruVerifiedTokenCache } from "../src/services/VerifiedTokenCache.js";
import { AUDIENCE, BENCH_ALGORITHMS, fmt, mintPool, startBenchIssuer, table, type BenchAlgorithm } from "./common.js";

const quick = process.argv.includes("--quick");
const json = process.argv.includes("--json");
/** Time spent measuring each figure, after a warm-up of a fifth of it. */
const BUDGET_MS = quick ? 300 : 1500;
const POOL = quick ? 400 : 2000;

/** µs per call of `fn(i)`, i counting up, awaited one after the other. */
async function perCall(fn: (i: number) => unknown): Promise<number> {
  const run = async (budgetMs: number) => {
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(budgetMs * 1e6);
    let calls = 0;
    while (process.hrtime.bigint() < deadline) {
      for (let j = 0; j < 50; j++) await fn(calls++);
    }
    return Number(process.hrtime.bigint() - start) / 1000 / calls;
  };
  await run(BUDGET_MS / 5);
  return run(BUDGET_MS);
}

export interface MicroResult {
  alg: BenchAlgorithm;
  oursHit: number;
  oursMiss: number;
  oursCold: number;
  cryptoVerify: number;
  joseLocal: number;
  josePeer: number;
}

export interface CacheKeyResult {
  fullToken: number;
  sha256: number;
}

function verifierFor(jwksUri: string, issuer: string, tokenCacheSize: number): JwksVerifier {
  const logger = createOidcLogger(undefined, "silent");
  const config = new StaticConfigService({ authServiceUrl: issuer, appSlug: AUDIENCE, jwksUri, issuer, tokenCacheSize });
  return new JwksVerifier(config, new KeySetRegistry(systemClock, logger), systemClock, new LruVerifiedTokenCache(systemClock));
}

async function main(): Promise<void> {
  const bench = await startBenchIssuer();
  const { issuer } = bench;
  const jwks = (await (await fetch(issuer.jwksUri)).json()) as { keys: JWK[] };
  const results: MicroResult[] = [];
  for (const alg of BENCH_ALGORITHMS) {
    const pool = await mintPool(bench, alg, POOL);
    const token = (i: number) => pool[i % pool.length] ?? "";
    const cold = verifierFor(issuer.jwksUri, issuer.issuer, 0);
    // A cyclic walk over more tokens than the cache holds misses every time: verify + store + evict.
    const missing = verifierFor(issuer.jwksUri, issuer.issuer, POOL / 2);
    const warm = verifierFor(issuer.jwksUri, issuer.issuer, 10_000);
    const jwk = jwks.keys.find((k) => k.kid === bench.kids[alg]) as JWK;
    const keyObject: KeyObject = createPublicKey({ key: jwk as never, format: "jwk" });
    const cryptoKey = (await importJWK(jwk, alg)) as CryptoKey;
    const remote = createRemoteJWKSet(new URL(issuer.jwksUri));
    const hash = alg === "EdDSA" ? null : "sha256";
    const split = pool.map((t) => {
      const dot = t.lastIndexOf(".");
      return { input: Buffer.from(t.slice(0, dot)), signature: Buffer.from(t.slice(dot + 1), "base64url") };
    });
    const options = { issuer: issuer.issuer, audience: AUDIENCE };
    const cryptoOptions = alg === "ES256" ? { key: keyObject, dsaEncoding: "ieee-p1363" as const } : keyObject;

    results.push({
      alg,
      oursHit: await perCall(() => warm.verify(token(0))),
      oursMiss: await perCall((i) => missing.verify(token(i))),
      oursCold: await perCall((i) => cold.verify(token(i))),
      cryptoVerify: await perCall((i) => {
        const s = split[i % split.length];
        if (!s || !cryptoVerify(hash, s.input, cryptoOptions, s.signature)) throw new Error("floor: signature did not verify");
      }),
      joseLocal: await perCall((i) => jwtVerify(token(i), cryptoKey, options)),
      josePeer: await perCall((i) => jwtVerify(token(i), remote, options)),
    });
  }

  // What a cache lookup costs with each key: the token itself, or its SHA-256 (the header string is new on every request).
  const pool = await mintPool(bench, "RS256", 1000, POOL);
  const headers = pool.map((t) => `Bearer ${t}`);
  const byToken = new Map(pool.map((t) => [t, t]));
  const digest = (t: string) => createHash("sha256").update(t).digest("base64url");
  const byDigest = new Map(pool.map((t) => [digest(t), t]));
  const cacheKey: CacheKeyResult = {
    fullToken: await perCall((i) => byToken.get((headers[i % headers.length] ?? "").slice(7))),
    sha256: await perCall((i) => byDigest.get(digest((headers[i % headers.length] ?? "").slice(7)))),
  };
  await issuer.close();

  if (json) {
    console.log(JSON.stringify({ micro: results, cacheKey, tokenBytes: pool[0]?.length }));
    return;
  }
  console.log(formatMicro(results, cacheKey));
}

export function formatMicro(results: MicroResult[], cacheKey: CacheKeyResult): string {
  const rows = [["µs per token", ...results.map((r) => r.alg)]];
  const row = (label: string, pick: (r: MicroResult) => number) => rows.push([label, ...results.map((r) => fmt(pick(r), 1))]);
  row("ioserver-oidc, cache hit", (r) => r.oursHit);
  row("ioserver-oidc, cache miss (verify + store)", (r) => r.oursMiss);
  row("ioserver-oidc, cache off", (r) => r.oursCold);
  row("node:crypto.verify alone (floor)", (r) => r.cryptoVerify);
  row("jose jwtVerify, local key", (r) => r.joseLocal);
  row("jose jwtVerify + createRemoteJWKSet (0.1.x)", (r) => r.josePeer);
  rows.push(["cache off ÷ floor", ...results.map((r) => `${fmt(r.oursCold / r.cryptoVerify, 2)}×`)]);
  rows.push(["0.1.x ÷ cache off", ...results.map((r) => `${fmt(r.josePeer / r.oursCold, 2)}×`)]);
  const keys = `cache lookup from a fresh header string: full-token key ${fmt(cacheKey.fullToken, 2)} µs, SHA-256 key ${fmt(cacheKey.sha256, 2)} µs`;
  return `${table(rows)}\n${keys}`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main();
