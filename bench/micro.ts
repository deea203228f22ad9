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
import type { FastifyReply, FastifyRequest } from "fastify";
import { bindOidcMiddlewares, createOidcContainer, TOKENS } from "../src/index.js";
import { systemClock } from "../src/services/Clock.js";
import { StaticConfigService } from "../src/services/ConfigService.js";
import { resolveOidcConfig } from "../src/config.js";
import { JwksVerifier } from "../src/services/verification/JwksVerifier.js";
import { KeySetRegistry } from "../src/services/keys/KeySetRegistry.js";
import { createOidcLogger } from "../src/services/logger.js";
import { BoundedVerifiedTokenCache } from "../src/services/verification/VerifiedTokenCache.js";
import { AUDIENCE, BENCH_ALGORITHMS, fmt, mintPool, startBenchIssuer, table, type BenchAlgorithm } from "./common.js";

const quick = process.argv.includes("--quick");
const json = process.argv.includes("--json");
/** Time spent measuring each figure, after a warm-up of a fifth of it. */
const BUDGET_MS = quick ? 250 : 1000;
const POOL = quick ? 400 : 2000;

/**
 * µs per call of `fn(i)`, i counting up, with `inflight` calls kept running
 * at once: 1 gives the latency of one call; more gives the amortised cost
 * when calls overlap, as under server load, where work done off the main
 * thread (the thread pool) overlaps with the next call.
 */
async function perCall(fn: (i: number) => unknown, inflight = 1): Promise<number> {
  const run = async (budgetMs: number) => {
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(budgetMs * 1e6);
    let calls = 0;
    const loop = async () => {
      while (process.hrtime.bigint() < deadline) {
        for (let j = 0; j < 50; j++) await fn(calls++);
      }
    };
    await Promise.all(Array.from({ length: inflight }, loop));
    return Number(process.hrtime.bigint() - start) / 1000 / calls;
  };
  await run(BUDGET_MS / 5);
  return run(BUDGET_MS);
}

/** Calls kept in flight for the "under load" figures. */
const INFLIGHT = 32;

/** µs per token for each path: one call at a time, and amortised with INFLIGHT calls overlapping. */
export interface MicroResult {
  alg: BenchAlgorithm;
  oursHit: number;
  oursMiss: number;
  oursCold: number;
  cryptoSync: number;
  cryptoAsync: number;
  joseLocal: number;
  josePeer: number;
  loaded: { oursCold: number; cryptoSync: number; cryptoAsync: number; joseLocal: number; josePeer: number };
}

export interface CacheKeyResult {
  fullToken: number;
  sha256: number;
  /** BoundedVerifiedTokenCache.get of a token in its hot table (the same token presented again). */
  hotTable: number;
  /** OidcHttpMiddleware on a cache hit: header parsing, lookup, provisioner, context. */
  middlewareHit: number;
}

/** Distinct flat copies of `Bearer <token>`, as the HTTP parser hands them over: every `.slice(7)` is a new string to hash. */
const headerCopies = (token: string, count = 1000): string[] => Array.from({ length: count }, () => Buffer.from(`Bearer ${token}`).toString());

function verifierFor(jwksUri: string, issuer: string, tokenCacheSize: number): JwksVerifier {
  const logger = createOidcLogger(undefined, "silent");
  const config = new StaticConfigService({ authServiceUrl: issuer, appSlug: AUDIENCE, jwksUri, issuer, tokenCacheSize });
  return new JwksVerifier(config, new KeySetRegistry(systemClock, logger), systemClock, new BoundedVerifiedTokenCache(systemClock));
}

async function main(): Promise<void> {
  const bench = await startBenchIssuer();
  const { issuer } = bench;
  const jwks = (await (await fetch(issuer.jwksUri)).json()) as { keys: JWK[] };
  const results: MicroResult[] = [];
  for (const alg of BENCH_ALGORITHMS) {
    const pool = await mintPool(bench, alg, POOL);
    const token = (i: number) => pool[i % pool.length] ?? "";
    const repeated = headerCopies(token(0));
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
    const sample = (i: number) => split[i % split.length] as { input: Buffer; signature: Buffer };
    const invalid = () => new Error("floor: signature did not verify");

    const paths = {
      oursCold: (i: number) => cold.verify(token(i)),
      cryptoSync: (i: number) => {
        if (!cryptoVerify(hash, sample(i).input, cryptoOptions, sample(i).signature)) throw invalid();
      },
      cryptoAsync: (i: number) =>
        new Promise<void>((resolve, reject) => {
          cryptoVerify(hash, sample(i).input, cryptoOptions, sample(i).signature, (error, valid) => (error || !valid ? reject(error ?? invalid()) : resolve()));
        }),
      joseLocal: (i: number) => jwtVerify(token(i), cryptoKey, options),
      josePeer: (i: number) => jwtVerify(token(i), remote, options),
    };
    results.push({
      alg,
      oursHit: await perCall((i) => warm.verify((repeated[i % repeated.length] ?? "").slice(7))),
      oursMiss: await perCall((i) => missing.verify(token(i))),
      oursCold: await perCall(paths.oursCold),
      cryptoSync: await perCall(paths.cryptoSync),
      cryptoAsync: await perCall(paths.cryptoAsync),
      joseLocal: await perCall(paths.joseLocal),
      josePeer: await perCall(paths.josePeer),
      loaded: {
        oursCold: await perCall(paths.oursCold, INFLIGHT),
        cryptoSync: await perCall(paths.cryptoSync, INFLIGHT),
        cryptoAsync: await perCall(paths.cryptoAsync, INFLIGHT),
        joseLocal: await perCall(paths.joseLocal, INFLIGHT),
        josePeer: await perCall(paths.josePeer, INFLIGHT),
      },
    });
  }

  // What a cache lookup costs with each key: the token itself, or its SHA-256 (the header string is new on every request).
  const pool = await mintPool(bench, "RS256", 1000, POOL);
  const headers = pool.map((t) => Buffer.from(`Bearer ${t}`).toString());
  const byToken = new Map(pool.map((t) => [t, t]));
  const digest = (t: string) => createHash("sha256").update(t).digest("base64url");
  const byDigest = new Map(pool.map((t) => [digest(t), t]));
  const hotCache = new BoundedVerifiedTokenCache(systemClock);
  const hotConfig = resolveOidcConfig({ authServiceUrl: issuer.issuer, appSlug: AUDIENCE });
  const hotToken = pool[0] ?? "";
  const hotKey = createPublicKey({ key: (jwks.keys[0] ?? {}) as never, format: "jwk" });
  hotCache.set(hotToken, hotConfig, { claims: { sub: "u", iss: issuer.issuer, exp: 2e9 }, keySet: { onKeysRemoved: () => undefined } as never, key: hotKey, acceptedUntilMs: 2e12 });
  const hotHeaders = headerCopies(hotToken);
  const cacheKey: CacheKeyResult = {
    fullToken: await perCall((i) => byToken.get((headers[i % headers.length] ?? "").slice(7))),
    sha256: await perCall((i) => byDigest.get(digest((headers[i % headers.length] ?? "").slice(7)))),
    hotTable: await perCall((i) => hotCache.get((hotHeaders[i % hotHeaders.length] ?? "").slice(7), hotConfig)),
    middlewareHit: await middlewareHitCost(issuer.env(), headerCopies(pool[0] ?? "")),
  };
  await issuer.close();

  if (json) {
    console.log(JSON.stringify({ micro: results, cacheKey, tokenBytes: pool[0]?.length }));
    return;
  }
  console.log(formatMicro(results, cacheKey));
}

/** µs per request of OidcHttpMiddleware's hook on a cache hit, with a stand-in for Fastify's request and reply. */
async function middlewareHitCost(env: Record<string, string>, headers: string[]): Promise<number> {
  const container = createOidcContainer();
  container.register(TOKENS.Environment, { useValue: env });
  container.register(TOKENS.Logger, { useValue: createOidcLogger(undefined, "silent") });
  const hook = new (bindOidcMiddlewares(container).OidcHttpMiddleware)().handle({});
  const reply = {
    code: () => reply,
    header: () => reply,
    send: () => {
      throw new Error("micro: the middleware refused the token");
    },
  };
  return perCall((i) => hook({ headers: { authorization: headers[i % headers.length] } } as unknown as FastifyRequest, reply as unknown as FastifyReply));
}

export function formatMicro(results: MicroResult[], cacheKey: CacheKeyResult): string {
  const algs = results.map((r) => r.alg);
  const head = ["µs per token: one at a time | " + `${INFLIGHT} in flight`, ...algs.flatMap((alg) => [alg, ""])];
  const rows = [head];
  const row = (label: string, one: (r: MicroResult) => number, loaded?: (r: MicroResult) => number) =>
    rows.push([label, ...results.flatMap((r) => [fmt(one(r), 1), loaded ? fmt(loaded(r), 1) : ""])]);
  row("ioserver-oidc, cache hit", (r) => r.oursHit);
  row("ioserver-oidc, cache miss (verify + store)", (r) => r.oursMiss);
  row("ioserver-oidc, cache off", (r) => r.oursCold, (r) => r.loaded.oursCold);
  row("node:crypto.verify alone, sync (floor)", (r) => r.cryptoSync, (r) => r.loaded.cryptoSync);
  row("node:crypto.verify alone, callback (thread pool)", (r) => r.cryptoAsync, (r) => r.loaded.cryptoAsync);
  row("jose jwtVerify, local key", (r) => r.joseLocal, (r) => r.loaded.joseLocal);
  row("jose jwtVerify + createRemoteJWKSet (0.1.x)", (r) => r.josePeer, (r) => r.loaded.josePeer);
  const keys = `lookup from a fresh header string: Map keyed by the token ${fmt(cacheKey.fullToken, 2)} µs, by its SHA-256 ${fmt(cacheKey.sha256, 2)} µs; BoundedVerifiedTokenCache.get through its hot table ${fmt(cacheKey.hotTable, 2)} µs`;
  const hit = `OidcHttpMiddleware hook on a cache hit (bearer parsing, lookup, provisioner, context): ${fmt(cacheKey.middlewareHit, 2)} µs per request`;
  return `${table(rows)}\n${keys}\n${hit}`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main();
