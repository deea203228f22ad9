/**
 * `npm run bench [-- --quick]`: the whole benchmark, one command.
 *
 * Starts a JWKS issuer (TestIssuer, in this process) and six IOServer
 * processes (unprotected; with a middleware that does nothing; with one
 * that only checks signatures, the floor; ioserver-oidc; ioserver-oidc with
 * the token cache off; the 0.1.x-style peer), drives them with autocannon
 * over 127.0.0.1,
 * measures Socket.IO handshake rates, then runs the micro and memory
 * benchmarks in their own processes, and prints one report. Scenarios are
 * interleaved round by round so that load from other processes falls on
 * all of them alike; rates are medians over the rounds, and each ratio is
 * the median over the rounds of (rate ÷ the unprotected rate measured just
 * before it, in the same round). `--rounds N` (1–20) runs more rounds.
 */
import { fork } from "node:child_process";
import { cpus } from "node:os";
import autocannon from "autocannon";
import { BENCH_ALGORITHMS, benchChild, fmt, median, mintPool, startBenchIssuer, table, type BenchAlgorithm } from "./common.js";
import { measureHandshakes } from "./sockets.js";
import { startServer, type BenchServer } from "./launch.js";
import { formatMicro, type CacheKeyResult, type MicroResult } from "./micro.js";
import { formatHitPath, type HitPathResult } from "./hitpath.js";
import { formatScale, type ScaleResult } from "./scale.js";
import type { MemoryResult } from "./memory.js";
import { LruSimulator, uniform, zipf } from "./workloads.js";

const quick = process.argv.includes("--quick");
const DEFAULT_CACHE_SIZE_VALUE = 10_000;
const roundsArg = process.argv.indexOf("--rounds");
const SETTINGS = {
  ...(quick
    ? { rounds: 1, seconds: 2, warmupSeconds: 1, coldPool: 500, memoryTokens: 20_000, workloadCache: 1_000, scaleSockets: 1_000 }
    : { rounds: 3, seconds: 5, warmupSeconds: 2, coldPool: 2_000, memoryTokens: 100_000, workloadCache: DEFAULT_CACHE_SIZE_VALUE, scaleSockets: 10_000 }),
  ...(roundsArg === -1 ? {} : { rounds: Math.max(1, Math.min(20, Number(process.argv[roundsArg + 1]) || 1)) }),
};
const CONNECTIONS = 50;
const SOCKET_CONCURRENCY = 20;
const DEFAULT_CACHE_SIZE = DEFAULT_CACHE_SIZE_VALUE;


interface Sample {
  rate: number;
  cpuPerOp: number;
  /** The server's token-cache hit ratio over the run, and an exact LRU's of the same size on the same sequence. */
  hitRatio?: number;
  /** Misses that waited for a verification of the same token already running (no signature check of their own), over all lookups. */
  sharedRatio?: number;
  lruHitRatio?: number;
  /** Rate over the unprotected server's rate measured just before, in the same round: robust to drifting load. */
  ratio?: number;
}

/**
 * What the load generator sends: every connection walks `tokens` in order,
 * or, with `pick`, every request carries `tokens[pick()]` (a random draw);
 * with `lru`, the drawn sequence is also fed to that offline LRU.
 */
interface Load {
  tokens: string[];
  pick?: () => number;
  lru?: LruSimulator;
}

/** One autocannon run. Throws on any non-2xx answer or socket error. */
async function runHttp(server: BenchServer, load: Load, seconds: number): Promise<Sample> {
  const { tokens, pick, lru } = load;
  const headers = tokens.map((token) => `Bearer ${token}`);
  const requests: autocannon.Request[] = pick
    ? [
        {
          method: "GET" as const,
          path: "/bench",
          setupRequest: (request: autocannon.Request) => {
            const index = pick();
            lru?.access(index);
            return { ...request, headers: { authorization: headers[index] ?? "" } };
          },
        },
      ]
    : headers.map((authorization) => ({ method: "GET" as const, path: "/bench", headers: { authorization } }));
  const cpuBefore = await server.cpuMicros();
  const statsBefore = await server.cacheStats();
  const lruBefore = lru ? { hits: lru.hits, lookups: lru.lookups } : undefined;
  const result = await autocannon({ url: `${server.url}/bench`, connections: CONNECTIONS, duration: seconds, requests });
  const cpu = (await server.cpuMicros()) - cpuBefore;
  const statsAfter = await server.cacheStats();
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${server.kind}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  const hits = statsAfter.hits - statsBefore.hits;
  const lookups = hits + statsAfter.misses - statsBefore.misses;
  return {
    rate: result.requests.average,
    cpuPerOp: cpu / result.requests.total,
    ...(lookups > 0 ? { hitRatio: hits / lookups, sharedRatio: (statsAfter.shared - statsBefore.shared) / lookups } : {}),
    ...(lru && lruBefore ? { lruHitRatio: (lru.hits - lruBefore.hits) / Math.max(1, lru.lookups - lruBefore.lookups) } : {}),
  };
}

async function runSockets(server: BenchServer, token: string, seconds: number): Promise<Sample> {
  const cpuBefore = await server.cpuMicros();
  const result = await measureHandshakes(`${server.url}/bench`, token, SOCKET_CONCURRENCY, seconds * 1000);
  const cpu = (await server.cpuMicros()) - cpuBefore;
  if (result.refused > 0) throw new Error(`${server.kind}: ${result.refused} handshakes refused`);
  return { rate: result.rate, cpuPerOp: cpu / result.completed };
}

/** Runs a bench script in its own process and returns the JSON it prints last. */
function runChild<T>(name: string, args: string[], nodeFlags: string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const { script, execArgv } = benchChild(name, nodeFlags);
    const child = fork(script, [...args, "--json"], { execArgv, stdio: ["ignore", "pipe", "inherit", "ipc"] });
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`${name} exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split("\n").pop() ?? "") as T);
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

const PARTS = ["http", "workloads", "sockets", "scale", "micro", "memory"] as const;
type Part = (typeof PARTS)[number];

/** `--only http,micro` runs some parts; the default is all of them. */
function selectedParts(): Set<Part> {
  const at = process.argv.indexOf("--only");
  if (at === -1) return new Set(PARTS);
  const chosen = (process.argv[at + 1] ?? "").split(",");
  const unknown = chosen.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0 || chosen.length === 0) throw new Error(`--only takes a comma-separated list of ${PARTS.join(", ")}`);
  return new Set(chosen as Part[]);
}

interface Scenario {
  name: string;
  server: BenchServer;
  load: Load;
  /** The first scenario of each block is its unprotected baseline: the block's ratios are to it. */
  base?: true;
}

async function measureServers(parts: Set<Part>): Promise<string[]> {
  const { rounds, seconds, warmupSeconds, coldPool, workloadCache } = SETTINGS;
  const bench = await startBenchIssuer();
  const env = bench.issuer.env();
  const warmTokens = {} as Record<BenchAlgorithm, string[]>;
  const coldTokens = {} as Record<BenchAlgorithm, string[]>;
  for (const alg of BENCH_ALGORITHMS) {
    warmTokens[alg] = await mintPool(bench, alg, 1);
    coldTokens[alg] = await mintPool(bench, alg, coldPool, 1);
  }
  const population = 3 * workloadCache;
  const http = parts.has("http");
  const workloads = parts.has("workloads");
  if (workloads) log(`minting ${fmt(population)} RS256 tokens for the cache workloads`);
  const poolTokens = workloads ? await mintPool(bench, "RS256", population, coldPool + 1) : [];
  const cacheEnv = { ...env, AUTH_SERVICE_TOKEN_CACHE_SIZE: String(workloadCache) };
  const servers = {
    baseline: await startServer("baseline", env),
    ...(http ? { noop: await startServer("noop", env), floor: await startServer("floor", env) } : {}),
    oidc: await startServer("oidc", env),
    cold: await startServer("oidc", { ...env, AUTH_SERVICE_TOKEN_CACHE_SIZE: "0" }, "oidc (cache off)"),
    peer: await startServer("peer", env),
    ...(workloads
      ? {
          uniform: await startServer("oidc", cacheEnv, "oidc (uniform pool)"),
          zipf: await startServer("oidc", cacheEnv, "oidc (Zipf)"),
          fastify: await startServer("fastify", env),
          jwks: await startServer("jwks", cacheEnv, "fastify-jwt-jwks"),
        }
      : {}),
  };
  const walk = (tokens: string[]): Load => ({ tokens });
  const socketToken = warmTokens.RS256[0] ?? "";
  // The baseline is measured once per block, so every ratio's denominator is sampled as often as it is used.
  const httpBlock = (alg: BenchAlgorithm): Scenario[] => [
    { name: `baseline ${alg}`, server: servers.baseline, load: walk(warmTokens[alg]), base: true },
    ...(alg === "RS256" && servers.noop ? [{ name: "noop", server: servers.noop, load: walk(warmTokens[alg]) }] : []),
    { name: `warm ${alg}`, server: servers.oidc, load: walk(warmTokens[alg]) },
    { name: `cold ${alg}`, server: servers.cold, load: walk(coldTokens[alg]) },
    ...(servers.floor ? [{ name: `floor ${alg}`, server: servers.floor, load: walk(coldTokens[alg]) }] : []),
    { name: `peer ${alg}`, server: servers.peer, load: walk(warmTokens[alg]) },
  ];
  // Each twin draws the same seeded sequence; ours is also fed to an exact LRU of the same size.
  const draw = (kind: "uniform" | "zipf", seed: number, lru?: LruSimulator): Load => ({
    tokens: poolTokens,
    pick: kind === "uniform" ? uniform(population, seed) : zipf(population, seed),
    ...(lru ? { lru } : {}),
  });
  const workloadBlock = (): Scenario[] =>
    servers.uniform && servers.zipf && servers.fastify && servers.jwks
      ? [
          { name: "w baseline", server: servers.baseline, load: draw("uniform", 1), base: true },
          { name: "w uniform on", server: servers.uniform, load: draw("uniform", 2, lrus.uniform) },
          { name: "w uniform off", server: servers.cold, load: draw("uniform", 2) },
          { name: "w zipf on", server: servers.zipf, load: draw("zipf", 3, lrus.zipf) },
          { name: "w zipf off", server: servers.cold, load: draw("zipf", 3) },
          { name: "w peer uniform", server: servers.peer, load: draw("uniform", 2) },
          { name: "w peer zipf", server: servers.peer, load: draw("zipf", 3) },
          { name: "f baseline", server: servers.fastify, load: walk(warmTokens.RS256), base: true },
          { name: "f jwks warm", server: servers.jwks, load: walk(warmTokens.RS256) },
          { name: "f jwks uniform", server: servers.jwks, load: draw("uniform", 2) },
          { name: "f jwks zipf", server: servers.jwks, load: draw("zipf", 3) },
        ]
      : [];
  const lrus = { uniform: new LruSimulator(workloadCache), zipf: new LruSimulator(workloadCache) };
  const httpScenarios = [...(http ? BENCH_ALGORITHMS.flatMap(httpBlock) : []), ...workloadBlock()];
  const socketScenarios: Scenario[] = parts.has("sockets")
    ? [
        { name: "baseline", server: servers.baseline, load: walk([socketToken]), base: true },
        { name: "oidc", server: servers.oidc, load: walk([socketToken]) },
        { name: "peer", server: servers.peer, load: walk([socketToken]) },
      ]
    : [];

  const httpSamples = new Map<string, Sample[]>();
  const sockets = new Map<string, Sample[]>();
  let blockBase = Number.NaN;
  const record = (samples: Map<string, Sample[]>, scenario: Scenario, sample: Sample) => {
    if (scenario.base) blockBase = sample.rate;
    samples.set(scenario.name, [...(samples.get(scenario.name) ?? []), { ...sample, ratio: sample.rate / blockBase }]);
  };
  try {
    log("warming up");
    // The first block warms every IOServer process; the workload block fills its caches.
    const warmups = [...httpScenarios.slice(0, http ? 6 : 0), ...httpScenarios.filter((s) => s.name.startsWith("w ") || s.name.startsWith("f "))];
    for (const s of warmups) await runHttp(s.server, s.load, warmupSeconds);
    for (const s of socketScenarios) await runSockets(s.server, socketToken, warmupSeconds);
    for (let round = 1; round <= rounds; round++) {
      if (httpScenarios.length > 0) log(`round ${round}/${rounds}: HTTP`);
      for (const s of httpScenarios) record(httpSamples, s, await runHttp(s.server, s.load, seconds));
      if (socketScenarios.length > 0) log(`round ${round}/${rounds}: Socket.IO handshakes`);
      for (const s of socketScenarios) record(sockets, s, await runSockets(s.server, socketToken, seconds));
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
    await bench.issuer.close();
  }

  const report: string[] = [];
  const med = (samples: Map<string, Sample[]>, name: string, pick: (s: Sample) => number) => median((samples.get(name) ?? []).map(pick));
  /** "rate  ratio× [lowest–highest ratio]": the ratio is the median of the per-round ratios. */
  const rateAndRatio = (samples: Map<string, Sample[]>, name: string) => {
    const ratios = (samples.get(name) ?? []).map((s) => s.ratio ?? Number.NaN);
    const spread = name.includes("baseline") ? "" : ` [${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)}]`;
    return `${fmt(med(samples, name, (s) => s.rate))} ${fmt(median(ratios), 2)}×${spread}`;
  };
  /** The median over rounds of (rate of `name` ÷ rate of `twin` in the same round), with its range. */
  const paired = (name: string, twin: string) => {
    const a = httpSamples.get(name) ?? [];
    const b = httpSamples.get(twin) ?? [];
    const ratios = a.map((s, i) => s.rate / (b[i]?.rate ?? Number.NaN));
    return `${fmt(median(ratios), 2)}× [${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)}]`;
  };
  const percent = (name: string, pick: (s: Sample) => number | undefined) => {
    const values = (httpSamples.get(name) ?? []).map(pick).filter((v): v is number => v !== undefined);
    return values.length === 0 ? "" : `${fmt(100 * median(values), 1)} %`;
  };
  if (http) {
    const cell = (name: string) => `${rateAndRatio(httpSamples, name)} ${fmt(med(httpSamples, name, (s) => s.cpuPerOp))} µs`;
    report.push(
      table([
        ["HTTP GET: req/s, ratio to unprotected [range over rounds], server CPU/request", ...BENCH_ALGORITHMS],
        ["unprotected IOServer route", ...BENCH_ALGORITHMS.map((alg) => cell(`baseline ${alg}`))],
        ["same route, middleware that does nothing", cell("noop"), "", ""],
        ["ioserver-oidc, warm (same token)", ...BENCH_ALGORITHMS.map((alg) => cell(`warm ${alg}`))],
        ["ioserver-oidc, cold (distinct tokens, cache off)", ...BENCH_ALGORITHMS.map((alg) => cell(`cold ${alg}`))],
        ["floor: signature check only (node:crypto, distinct tokens)", ...BENCH_ALGORITHMS.map((alg) => cell(`floor ${alg}`))],
        ["0.1.x-style peer (jose per request)", ...BENCH_ALGORITHMS.map((alg) => cell(`peer ${alg}`))],
        ["cold ÷ floor, per round", ...BENCH_ALGORITHMS.map((alg) => paired(`cold ${alg}`, `floor ${alg}`))],
      ]),
    );
  }
  if (httpSamples.has("w baseline")) {
    const row = (label: string, name: string, twin?: string) => [
      label,
      rateAndRatio(httpSamples, name),
      twin ? paired(name, twin) : "",
      `${fmt(med(httpSamples, name, (s) => s.cpuPerOp))} µs`,
      percent(name, (s) => s.hitRatio),
      percent(name, (s) => s.sharedRatio),
      percent(name, (s) => (s.hitRatio === undefined ? undefined : s.hitRatio + (s.sharedRatio ?? 0))),
      percent(name, (s) => s.lruHitRatio),
    ];
    report.push(
      table([
        [
          `Cache workloads, RS256, ${fmt(population)} tokens (3× a cache of ${fmt(workloadCache)}): req/s, ratio to unprotected [range]`,
          "÷ cache-off twin, per round",
          "server CPU/req",
          "hit ratio",
          "shared in flight",
          "no own verification",
          "exact LRU, same sequence",
        ],
        row("unprotected IOServer route (uniform draws)", "w baseline"),
        row("ioserver-oidc, uniform draws, default settings", "w uniform on", "w uniform off"),
        row("ioserver-oidc, uniform draws, cache off", "w uniform off"),
        row("ioserver-oidc, Zipf(1) draws, default settings", "w zipf on", "w zipf off"),
        row("ioserver-oidc, Zipf(1) draws, cache off", "w zipf off"),
        row("0.1.x-style peer, uniform draws", "w peer uniform"),
        row("0.1.x-style peer, Zipf(1) draws", "w peer zipf"),
        row("plain Fastify 5 route, unprotected (the next rows' baseline)", "f baseline"),
        row("fastify-jwt-jwks, warm (same token)", "f jwks warm"),
        row("fastify-jwt-jwks, uniform draws", "f jwks uniform"),
        row("fastify-jwt-jwks, Zipf(1) draws", "f jwks zipf"),
      ]),
    );
  }
  if (sockets.size > 0) {
    const row = (label: string, name: string) => [label, rateAndRatio(sockets, name), `${fmt(med(sockets, name, (s) => s.cpuPerOp))} µs`];
    report.push(
      table([
        ["Socket.IO handshakes (websocket, RS256 token)", "conn/s, ratio [range]", "server CPU/conn"],
        row("unprotected namespace", "baseline"),
        row("ioserver-oidc (same token)", "oidc"),
        row("0.1.x-style peer", "peer"),
      ]),
    );
  }
  return report;
}

async function main(): Promise<void> {
  const parts = selectedParts();
  const { rounds, seconds, coldPool, memoryTokens } = SETTINGS;
  const setup = `node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "unknown"}), ${quick ? "--quick" : "full run"}: ${CONNECTIONS} HTTP connections, ${SOCKET_CONCURRENCY} handshake loops, ${rounds} round(s) × ${seconds} s, medians; cold pool ${fmt(coldPool)} tokens per algorithm`;
  log(setup);
  const report = [setup];
  if (parts.has("http") || parts.has("workloads") || parts.has("sockets")) report.push(...(await measureServers(parts)));
  if (parts.has("scale")) {
    log(`sockets at scale: ${fmt(SETTINGS.scaleSockets)} sockets`);
    report.push(formatScale(await runChild<ScaleResult>("scale", [String(SETTINGS.scaleSockets)])));
  }
  if (parts.has("micro")) {
    log("micro benchmark");
    const micro = await runChild<{ micro: MicroResult[]; cacheKey: CacheKeyResult }>("micro", quick ? ["--quick"] : []);
    report.push(formatMicro(micro.micro, micro.cacheKey));
    report.push(formatHitPath(await runChild<HitPathResult>("hitpath", quick ? ["--quick"] : [])));
  }
  if (parts.has("memory")) {
    log(`memory: ${fmt(memoryTokens)} distinct tokens, cache ${fmt(DEFAULT_CACHE_SIZE)} and off`);
    const results = [
      await runChild<MemoryResult>("memory", [String(memoryTokens), String(DEFAULT_CACHE_SIZE)], ["--expose-gc"]),
      await runChild<MemoryResult>("memory", [String(memoryTokens), "0"], ["--expose-gc"]),
    ];
    report.push(
      table([
        [`Memory after ${fmt(memoryTokens)} distinct tokens (${results[0]?.tokenBytes ?? 0} B each)`, "cache entries", "RSS before", "RSS after", "heap used"],
        ...results.map((m) => [
          m.cacheSize > 0 ? `cache bound ${fmt(m.cacheSize)} (default)` : "cache off",
          fmt(m.cacheEntries),
          `${fmt(m.rssBeforeMiB, 1)} MiB`,
          `${fmt(m.rssAfterMiB, 1)} MiB`,
          `${fmt(m.heapUsedAfterMiB, 1)} MiB`,
        ]),
      ]),
    );
  }
  console.log(report.join("\n\n"));
}

await main();
