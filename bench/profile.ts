/**
 * `npm run bench:profile [-- <scenario> [alg] [seconds]]`: where a server's time
 * goes. Starts one bench server under `node --cpu-prof`, drives it with
 * autocannon (50 connections) for a few seconds, stops it, and prints the
 * functions with the most self time, and the same time grouped by where
 * the code lives (ioserver-oidc, jose, fastify, Node.js internals, …).
 *
 * Scenarios: baseline, noop, warm, cold, floor, peer; alg RS256 (default), ES256 or EdDSA.
 */
import { fork } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { BENCH_ALGORITHMS, benchChild, fmt, freePort, mintPool, startBenchIssuer, table, type BenchAlgorithm } from "./common.js";
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

function summarize(profile: CpuProfile): string {
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
  const pct = (micros: number) => `${fmt((100 * micros) / busy, 1)} %`;
  const top = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 20);
  const areas = [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 12);
  return [
    `main thread idle ${fmt((100 * idle) / (idle + busy), 1)} % of the profile; shares below are of the busy time`,
    "",
    table([["self time, by function", "share"], ...top.map(([name, micros]) => [name, pct(micros)])]),
    "",
    table([["self time, by where the code lives", "share"], ...areas.map(([area, micros]) => [area, pct(micros)])]),
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
  const tokens = await mintPool(bench, alg, scenario.distinct ? 2000 : 1);
  const dir = mkdtempSync(join(tmpdir(), "ioserver-oidc-prof-"));
  const port = await freePort();
  const { script, execArgv } = benchChild("server", ["--cpu-prof", `--cpu-prof-dir=${dir}`]);
  const child = fork(script, [scenario.kind, String(port)], {
    execArgv,
    env: { ...process.env, ...bench.issuer.env(), ...scenario.env, AUTH_SERVICE_LOG_LEVEL: "warn" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once("message", () => resolve());
      child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
    });
    const requests = tokens.map((token) => ({ method: "GET" as const, path: "/bench", headers: { authorization: `Bearer ${token}` } }));
    const options = { url: `http://127.0.0.1:${port}/bench`, connections: 50, requests };
    await autocannon({ ...options, duration: 2 });
    const result = await autocannon({ ...options, duration: seconds });
    console.log(`${name} (${alg}): ${fmt(result.requests.average)} req/s, ${result.non2xx} non-2xx\n`);
  } finally {
    await new Promise((resolve) => {
      child.once("exit", resolve);
      child.kill("SIGTERM");
    });
    await bench.issuer.close();
  }
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error("no .cpuprofile written");
  console.log(summarize(JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile));
  rmSync(dir, { recursive: true, force: true });
}

await main();
