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
import { fork, type ChildProcess } from "node:child_process";
import { cpus } from "node:os";
import autocannon from "autocannon";
import { BENCH_ALGORITHMS, fmt, freePort, median, mintPool, startBenchIssuer, table, type BenchAlgorithm } from "./common.js";
import { measureHandshakes } from "./sockets.js";
import type { ServerKind } from "./server.js";
import { formatMicro, type CacheKeyResult, type MicroResult } from "./micro.js";
import type { MemoryResult } from "./memory.js";

const quick = process.argv.includes("--quick");
const roundsArg = process.argv.indexOf("--rounds");
const SETTINGS = {
  ...(quick
    ? { rounds: 1, seconds: 2, warmupSeconds: 1, coldPool: 500, memoryTokens: 20_000 }
    : { rounds: 3, seconds: 5, warmupSeconds: 2, coldPool: 2_000, memoryTokens: 100_000 }),
  ...(roundsArg === -1 ? {} : { rounds: Math.max(1, Math.min(20, Number(process.argv[roundsArg + 1]) || 1)) }),
};
const CONNECTIONS = 50;
const SOCKET_CONCURRENCY = 20;
const DEFAULT_CACHE_SIZE = 10_000;
const BENCH_DIR = new URL(".", import.meta.url);

interface BenchServer {
  kind: string;
  url: string;
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts `bench/server.ts` in a child process and waits for its "ready". */
async function startServer(kind: ServerKind, env: Record<string, string>, label: string = kind): Promise<BenchServer> {
  const port = await freePort();
  const child: ChildProcess = fork(new URL("./server.ts", BENCH_DIR), [kind, String(port)], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, ...env, AUTH_SERVICE_LOG_LEVEL: "warn" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${label} server exited with ${code} before it was ready`)));
    child.once("message", (message) => (message === "ready" ? resolve() : reject(new Error(`${label}: unexpected ${String(message)}`))));
  });
  return {
    kind: label,
    url: `http://127.0.0.1:${port}`,
    cpuMicros: () =>
      new Promise((resolve) => {
        child.once("message", (message) => resolve((message as { cpuMicros: number }).cpuMicros));
        child.send("cpu");
      }),
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

interface Sample {
  rate: number;
  cpuPerOp: number;
  /** Rate over the unprotected server's rate measured just before, in the same round: robust to drifting load. */
  ratio?: number;
}

/** One autocannon run; every connection walks `tokens` in order. Throws on any non-2xx answer or socket error. */
async function runHttp(server: BenchServer, tokens: string[], seconds: number): Promise<Sample> {
  const cpuBefore = await server.cpuMicros();
  const result = await autocannon({
    url: `${server.url}/bench`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: tokens.map((token) => ({ method: "GET", path: "/bench", headers: { authorization: `Bearer ${token}` } })),
  });
  const cpu = (await server.cpuMicros()) - cpuBefore;
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${server.kind}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return { rate: result.requests.average, cpuPerOp: cpu / result.requests.total };
}

async function runSockets(server: BenchServer, token: string, seconds: number): Promise<Sample> {
  const cpuBefore = await server.cpuMicros();
  const result = await measureHandshakes(`${server.url}/bench`, token, SOCKET_CONCURRENCY, seconds * 1000);
  const cpu = (await server.cpuMicros()) - cpuBefore;
  if (result.refused > 0) throw new Error(`${server.kind}: ${result.refused} handshakes refused`);
  return { rate: result.rate, cpuPerOp: cpu / result.completed };
}

/** Runs a bench script in its own process and returns the JSON it prints last. */
function runChild<T>(script: string, args: string[], execArgv: string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL(script, BENCH_DIR), [...args, "--json"], { execArgv: [...execArgv, "--import", "tsx"], stdio: ["ignore", "pipe", "inherit", "ipc"] });
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split("\n").pop() ?? "") as T);
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

const PARTS = ["http", "sockets", "micro", "memory"] as const;
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

async function measureServers(parts: Set<Part>): Promise<string[]> {
  const { rounds, seconds, warmupSeconds, coldPool } = SETTINGS;
  const bench = await startBenchIssuer();
  const env = bench.issuer.env();
  const warmTokens = {} as Record<BenchAlgorithm, string[]>;
  const coldTokens = {} as Record<BenchAlgorithm, string[]>;
  for (const alg of BENCH_ALGORITHMS) {
    warmTokens[alg] = await mintPool(bench, alg, 1);
    coldTokens[alg] = await mintPool(bench, alg, coldPool, 1);
  }
  const servers = {
    baseline: await startServer("baseline", env),
    noop: await startServer("noop", env),
    floor: await startServer("floor", env),
    oidc: await startServer("oidc", env),
    cold: await startServer("oidc", { ...env, AUTH_SERVICE_TOKEN_CACHE_SIZE: "0" }, "oidc (cache off)"),
    peer: await startServer("peer", env),
  };
  const socketToken = warmTokens.RS256[0] ?? "";
  // The baseline is measured once per algorithm block, so every ratio's denominator is sampled as often as it is used.
  const httpBlock = (alg: BenchAlgorithm) => [
    { name: "baseline", server: servers.baseline, tokens: warmTokens[alg] },
    ...(alg === "RS256" ? [{ name: "noop", server: servers.noop, tokens: warmTokens[alg] }] : []),
    { name: `warm ${alg}`, server: servers.oidc, tokens: warmTokens[alg] },
    { name: `cold ${alg}`, server: servers.cold, tokens: coldTokens[alg] },
    { name: `floor ${alg}`, server: servers.floor, tokens: coldTokens[alg] },
    { name: `peer ${alg}`, server: servers.peer, tokens: warmTokens[alg] },
  ];
  const httpScenarios = parts.has("http") ? BENCH_ALGORITHMS.flatMap(httpBlock) : [];
  const socketScenarios = parts.has("sockets")
    ? [
        { name: "baseline", server: servers.baseline },
        { name: "oidc", server: servers.oidc },
        { name: "peer", server: servers.peer },
      ]
    : [];

  const http = new Map<string, Sample[]>();
  const sockets = new Map<string, Sample[]>();
  // Each block (one algorithm's scenarios, or the handshake scenarios, of one round) starts with the unprotected server.
  let blockBase = Number.NaN;
  const record = (samples: Map<string, Sample[]>, name: string, sample: Sample) => {
    if (name === "baseline") blockBase = sample.rate;
    samples.set(name, [...(samples.get(name) ?? []), { ...sample, ratio: sample.rate / blockBase }]);
  };
  try {
    log("warming up");
    for (const s of httpScenarios.slice(0, 6)) await runHttp(s.server, s.tokens, warmupSeconds);
    for (const s of socketScenarios) await runSockets(s.server, socketToken, warmupSeconds);
    for (let round = 1; round <= rounds; round++) {
      if (httpScenarios.length > 0) log(`round ${round}/${rounds}: HTTP`);
      for (const s of httpScenarios) record(http, s.name, await runHttp(s.server, s.tokens, seconds));
      if (socketScenarios.length > 0) log(`round ${round}/${rounds}: Socket.IO handshakes`);
      for (const s of socketScenarios) record(sockets, s.name, await runSockets(s.server, socketToken, seconds));
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
    const spread = name === "baseline" ? "" : ` [${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)}]`;
    return `${fmt(med(samples, name, (s) => s.rate))} ${fmt(median(ratios), 2)}×${spread}`;
  };
  if (http.size > 0) {
    const cell = (name: string) => `${rateAndRatio(http, name)} ${fmt(med(http, name, (s) => s.cpuPerOp))} µs`;
    report.push(
      table([
        ["HTTP GET: req/s, ratio to unprotected [range over rounds], server CPU/request", ...BENCH_ALGORITHMS],
        ["unprotected IOServer route", cell("baseline"), "", ""],
        ["same route, middleware that does nothing", cell("noop"), "", ""],
        ["ioserver-oidc, warm (same token)", ...BENCH_ALGORITHMS.map((alg) => cell(`warm ${alg}`))],
        ["ioserver-oidc, cold (distinct tokens, cache off)", ...BENCH_ALGORITHMS.map((alg) => cell(`cold ${alg}`))],
        ["floor: signature check only (node:crypto, distinct tokens)", ...BENCH_ALGORITHMS.map((alg) => cell(`floor ${alg}`))],
        ["0.1.x-style peer (jose per request)", ...BENCH_ALGORITHMS.map((alg) => cell(`peer ${alg}`))],
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
  if (parts.has("http") || parts.has("sockets")) report.push(...(await measureServers(parts)));
  if (parts.has("micro")) {
    log("micro benchmark");
    const micro = await runChild<{ micro: MicroResult[]; cacheKey: CacheKeyResult }>("./micro.ts", quick ? ["--quick"] : []);
    report.push(formatMicro(micro.micro, micro.cacheKey));
  }
  if (parts.has("memory")) {
    log(`memory: ${fmt(memoryTokens)} distinct tokens, cache ${fmt(DEFAULT_CACHE_SIZE)} and off`);
    const results = [
      await runChild<MemoryResult>("./memory.ts", [String(memoryTokens), String(DEFAULT_CACHE_SIZE)], ["--expose-gc"]),
      await runChild<MemoryResult>("./memory.ts", [String(memoryTokens), "0"], ["--expose-gc"]),
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
