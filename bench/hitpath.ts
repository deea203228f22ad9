/**
 * Where a warm request's time goes inside ioserver-oidc: each stage of
 * `OidcHttpMiddleware`'s hook on a cache hit, timed alone, with a ~1 KB
 * token presented in a fresh header string every time (as the HTTP parser
 * hands it over). `npx tsx bench/hitpath.ts [--quick] [--json]`; `bench/run.ts`
 * runs it with the micro benchmark.
 */
import "reflect-metadata";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyReply, FastifyRequest } from "fastify";
import { bindOidcMiddlewares, createOidcContainer, TOKENS } from "../src/index.js";
import { createOidcLogger } from "../src/services/logger.js";
import { systemClock } from "../src/services/Clock.js";
import { MemoryRevocationStore } from "../src/services/sessions/MemoryRevocationStore.js";
import { attachAuth } from "../src/transport/authState.js";
import { authorizationHeader, httpRequestToken } from "../src/transport/credentials.js";
import { bearerToken } from "../src/transport/bearer.js";
import { AUDIENCE, fmt, startBenchIssuer, table } from "./common.js";

const quick = process.argv.includes("--quick");
const BUDGET_MS = quick ? 200 : 800;

/**
 * ns of this process's CPU time per call of `fn(i)`, one call at a time,
 * after a warm-up. CPU time rather than wall time: on a shared machine,
 * time spent descheduled is not the code's.
 */
async function nsPerCall(fn: (i: number) => unknown): Promise<number> {
  const run = async (budgetMs: number) => {
    const deadline = process.hrtime.bigint() + BigInt(budgetMs * 1e6);
    const cpu = process.cpuUsage();
    let calls = 0;
    while (process.hrtime.bigint() < deadline) {
      for (let j = 0; j < 100; j++) {
        // Only asynchronous stages are awaited: an await costs a microtask turn of its own.
        const outcome = fn(calls++);
        if (outcome instanceof Promise) await outcome;
      }
    }
    const used = process.cpuUsage(cpu);
    return ((used.user + used.system) * 1000) / calls;
  };
  await run(BUDGET_MS / 4);
  return run(BUDGET_MS);
}

/** The headers a browser-ish client sends besides Authorization, as Node's raw list. */
const OTHER_HEADERS = ["Host", "127.0.0.1:3000", "User-Agent", "bench/1.0", "Accept", "application/json", "Accept-Encoding", "gzip, deflate", "Connection", "keep-alive", "Cookie", "a=b"];

/** A stand-in for Fastify's request: a class instance, new per request, that the hook adds its fields to. */
class BenchRequest {
  readonly headers: Record<string, string>;
  readonly raw: { rawHeaders: string[] };
  constructor(request: { headers: { authorization: string }; rawHeaders: string[] }) {
    this.headers = request.headers;
    this.raw = { rawHeaders: request.rawHeaders };
  }
}

export interface HitPathResult {
  tokenBytes: number;
  stages: { name: string; ns: number }[];
}

export async function measureHitPath(): Promise<HitPathResult> {
  const bench = await startBenchIssuer();
  // About 1 KB, as an access token with a few dozen permissions is.
  const permissions = Array.from({ length: 16 }, (_, i) => `resource-${i}:read`);
  const token = await bench.issuer.mint(
    { sub: "user-1", email: "user-1@example.com", name: "User One", roles: ["user", "editor"], permissions, features: { beta: true } },
    { kid: bench.kids.RS256, expiresIn: 3600 },
  );
  const copies = Array.from({ length: 2000 }, () => Buffer.from(`Bearer ${token}`).toString());
  const requests = copies.map((authorization) => ({ headers: { authorization }, rawHeaders: [...OTHER_HEADERS, "Authorization", authorization] }));
  const at = (i: number) => requests[i % requests.length] as (typeof requests)[number];

  const container = createOidcContainer();
  container.register(TOKENS.Environment, { useValue: { ...bench.issuer.env(), AUTH_SERVICE_APP_SLUG: AUDIENCE } });
  container.register(TOKENS.Logger, { useValue: createOidcLogger(undefined, "silent") });
  container.register(TOKENS.AppHandle, { useValue: {} });
  const scoped = bindOidcMiddlewares(container);
  const hook = new scoped.OidcHttpMiddleware().handle({});
  const verifier = container.resolve(TOKENS.JwksVerifier);
  const pipeline = container.resolve(TOKENS.AuthPipeline);
  const provisioner = container.resolve(TOKENS.UserProvisioner);
  const claims = await verifier.verify(token);
  const result = await pipeline.authenticateRequest(() => token, "http");
  // The revocation check as the pipeline makes it: the container's store (empty), and one holding 30,000 revocations of other tokens, sessions and subjects.
  const revocations = container.resolve(TOKENS.RevocationStore);
  const crowded = new MemoryRevocationStore(systemClock, createOidcLogger(undefined, "silent"));
  const keepUntil = Date.now() + 3_600_000;
  for (let i = 0; i < 10_000; i++) {
    await crowded.add({ kind: "jti", iss: claims.iss, jti: `other-${i}`, expiresAt: keepUntil });
    await crowded.add({ kind: "sid", iss: claims.iss, sid: `session-${i}`, expiresAt: keepUntil });
    await crowded.add({ kind: "sub", iss: claims.iss, sub: `user-${i + 2}`, before: Math.floor(Date.now() / 1000), expiresAt: keepUntil });
  }
  const reply = {
    code: () => reply,
    header: () => reply,
    send: () => {
      throw new Error("hitpath: the middleware refused the token");
    },
  };
  const stages = [
    { name: "duplicate-header scan (authorizationHeader)", fn: (i: number) => authorizationHeader(at(i)) },
    { name: "bearer parsing (bearerToken)", fn: (i: number) => bearerToken(at(i).headers.authorization) },
    { name: "verifier on a cache hit (lookup of the token)", fn: (i: number) => verifier.verify((at(i).headers.authorization ?? "").slice(7)) },
    { name: "provisioner call (default, no appHandle.users)", fn: () => provisioner.findOrCreate("user-1", { iss: "x" }) },
    { name: "attachAuth (copy of the context onto the request)", fn: () => attachAuth({}, result) },
    { name: "clock read (systemClock.now, the check's argument)", fn: () => systemClock.now() },
    { name: "revocation check, empty store (isRevoked)", fn: () => revocations.isRevoked(claims, systemClock.now()) },
    { name: "revocation check, 30,000 revocations of others", fn: () => crowded.isRevoked(claims, systemClock.now()) },
    { name: "pipeline on a cache hit (verify, provision, build context)", fn: (i: number) => pipeline.authenticateRequest(() => httpRequestToken(at(i)), "http") },
    { name: "whole hook (OidcHttpMiddleware) on a cache hit", fn: (i: number) => hook(new BenchRequest(at(i)) as unknown as FastifyRequest, reply as unknown as FastifyReply) },
  ];
  const measured: HitPathResult["stages"] = [];
  for (const stage of stages) measured.push({ name: stage.name, ns: await nsPerCall(stage.fn) });
  await bench.issuer.close();
  return { tokenBytes: token.length, stages: measured };
}

export function formatHitPath(result: HitPathResult): string {
  const ns = (prefix: string) => result.stages.find((s) => s.name.startsWith(prefix))?.ns ?? Number.NaN;
  const hook = ns("whole hook");
  // Issue 12's target: the check keeps the warm path within 0.02× of what it is without it.
  const share = (check: number) => `${fmt(check / (hook - check), 3)}×`;
  return [
    table([[`warm hit path, ${fmt(result.tokenBytes)}-byte RS256 token, one call at a time`, "ns per request"], ...result.stages.map((s) => [s.name, fmt(s.ns)])]),
    `revocation check over the rest of the warm hook: ${share(ns("revocation check, empty"))} (empty store), ${share(ns("revocation check, 30,000"))} (30,000 revocations)`,
  ].join("\n");
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const result = await measureHitPath();
  console.log(process.argv.includes("--json") ? JSON.stringify(result) : formatHitPath(result));
}
