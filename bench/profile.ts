/**
 * `npm run bench:profile [-- <scenario> [alg] [seconds]]`: where a server's
 * time goes per request, next to the unprotected route's. Starts the
 * scenario's bench server and an unprotected one (each its own process),
 * drives each with autocannon (50 connections) for a warm-up and then for
 * `seconds`, profiles only that measured span (the inspector, started and
 * stopped over IPC: start-up and warm-up left out), and prints the main
 * thread's self time per request, grouped by where the code lives
 * (ioserver-oidc, jose, fastify, Node.js internals, …), both servers side
 * by side, then the scenario's functions with the most self time.
 *
 * Samples are wall time on the main thread: on a machine the load
 * generator shares, time spent descheduled inside a system call (writev)
 * counts as that call's.
 *
 * Scenarios: baseline, noop, warm, cold, floor, peer; alg RS256 (default), ES256 or EdDSA.
 */
import autocannon from "autocannon";
import { BENCH_ALGORITHMS, fmt, mintPool, startBenchIssuer, table, type BenchAlgorithm } from "./common.js";
import { startServer } from "./launch.js";
import type { ServerKind } from "./server.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const SCENARIOS: Record<string, { kind: ServerKind; env: Record<string, string>; distinct: boolean }> = {
  baseline: { kind: "baseline", env: {}, distinct: false },
  noop: { kind: "noop", env: {}, distinct: false },
  warm: { kind: "oidc", env: {}, distinct: false },
  cold: { kind: "oidc", env: { AUTH_SERVICE_TOKEN_CACHE_SIZE: "0" }, distinct: true },
  floor: { kind: "floor", env: {}, distinct: true },
  peer: { kind: "peer", env: {}, distinct: false },
};

/** Where a function lives, for the grouped view. */
function areaOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg !== undefined) return pkg;
  if (url.startsWith("node:")) return "node internals";
  if (url.includes("/src/")) return "ioserver-oidc (src)";
  if (url.includes("/bench/")) return "bench app";
  return url;
}

interface Profiled {
  rate: number;
  requests: number;
  /** Self time in µs over the measured span, by function and by area. */
  byFunction: Map<string, number>;
  byArea: Map<string, number>;
  idle: number;
  busy: number;
}

function selfTimes(profile: CpuProfile): Omit<Profiled, "rate" | "requests"> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  for (const [id, micros] of selfMicros) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === "(idle)") {
      idle += micros;
      continue;
    }
    busy += micros;
    const file = frame.url.replace(/^.*node_modules\//, "").replace(/^.*\/(src|bench)\//, "$1/");
    const name = `${frame.functionName || "(anonymous)"} ${file ? `${file}:${frame.lineNumber + 1}` : ""}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    const area = areaOf(frame.url, frame.functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + micros);
  }
  return { byFunction, byArea, idle, busy };
}

/** One server of `kind`, warmed up, then profiled while autocannon drives it for `seconds`. */
async function profileServer(kind: ServerKind, env: Record<string, string>, tokens: string[], seconds: number): Promise<Profiled> {
  const server = await startServer(kind, env);
  try {
    const requests = tokens.map((token) => ({ method: "GET" as const, path: "/bench", headers: { authorization: `Bearer ${token}` } }));
    const options = { url: `${server.url}/bench`, connections: 50, requests };
    await autocannon({ ...options, duration: 2 });
    await server.ask("profile:start");
    const result = await autocannon({ ...options, duration: seconds });
    const answer = await server.ask<{ profile?: CpuProfile; error?: string }>("profile:stop");
    if (!answer.profile) throw new Error(`${kind}: no profile (${answer.error ?? "no answer"})`);
    if (result.non2xx > 0) throw new Error(`${kind}: ${result.non2xx} non-2xx responses`);
    return { rate: result.requests.average, requests: result.requests.total, ...selfTimes(answer.profile) };
  } finally {
    await server.stop();
  }
}

function report(name: string, alg: string, baseline: Profiled, scenario: Profiled): string {
  const perRequest = (p: Profiled, micros: number | undefined) => (micros ?? 0) / p.requests;
  const us = (value: number) => fmt(value, 2);
  const areas = [...scenario.byArea.keys(), ...baseline.byArea.keys()].filter((area, i, all) => all.indexOf(area) === i);
  const rows = areas
    .map((area) => [area, perRequest(baseline, baseline.byArea.get(area)), perRequest(scenario, scenario.byArea.get(area))] as const)
    .sort((a, b) => b[2] - a[2])
    .filter(([, base, mine]) => base >= 0.05 || mine >= 0.05);
  const top = [...scenario.byFunction].sort((a, b) => b[1] - a[1]).slice(0, 25);
  const idleShare = (p: Profiled) => `${fmt((100 * p.idle) / (p.idle + p.busy), 1)} %`;
  return [
    `${name} (${alg}): ${fmt(scenario.rate)} req/s; unprotected route: ${fmt(baseline.rate)} req/s (${fmt(scenario.rate / baseline.rate, 2)}×), both profiled over the measured span only`,
    `main thread idle: unprotected ${idleShare(baseline)}, ${name} ${idleShare(scenario)}`,
    "",
    table([
      ["main thread self time, µs per request, by where the code lives", "unprotected", name, "difference"],
      ...rows.map(([area, base, mine]) => [area, us(base), us(mine), us(mine - base)]),
      ["all busy time", us(baseline.busy / baseline.requests), us(scenario.busy / scenario.requests), us(scenario.busy / scenario.requests - baseline.busy / baseline.requests)],
    ]),
    "",
    table([[`${name}: self time, by function`, "µs per request"], ...top.map(([fn, micros]) => [fn, us(perRequest(scenario, micros))])]),
  ].join("\n");
}

async function main(): Promise<void> {
  const name = process.argv[2] ?? "cold";
  const alg = (process.argv[3] ?? "RS256") as BenchAlgorithm;
  const seconds = Number(process.argv[4] ?? 5);
  const scenario = SCENARIOS[name];
  if (!scenario) throw new Error(`scenario must be one of ${Object.keys(SCENARIOS).join(", ")}`);
  if (!BENCH_ALGORITHMS.includes(alg)) throw new Error(`alg must be one of ${BENCH_ALGORITHMS.join(", ")}`);
  const bench = await startBenchIssuer();
  try {
    const tokens = await mintPool(bench, alg, scenario.distinct ? 2000 : 1);
    const env = bench.issuer.env();
    const baseline = await profileServer("baseline", env, tokens, seconds);
    const profiled = await profileServer(scenario.kind, { ...env, ...scenario.env }, tokens, seconds);
    console.log(report(name, alg, baseline, profiled));
  } finally {
    await bench.issuer.close();
  }
}

await main();
