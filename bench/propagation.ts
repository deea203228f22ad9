/**
 * `npm run bench:propagation [-- --quick] [--samples N]`: how long a
 * revocation made on node A takes to be enforced on node B.
 *
 * Starts a redis-server (no persistence), a JWKS issuer and two IOServer
 * processes sharing revocations through `ioserver-oidc/redis` (the node of
 * test/fixtures/redisNode.ts, with @socket.io/redis-streams-adapter).
 * Both nodes are kept under HTTP load by autocannon (valid tokens of other
 * users) for the whole run. For each sample, one client polls node B with
 * a fresh user's token, back to back, until refused; meanwhile node A is
 * told to revoke that user. Two delays per sample, on the machine's one
 * clock (performance.timeOrigin + performance.now() in every process):
 *
 * - mirror: from the call of `revoke({ sub })` on A to the revocation landing
 *   in B's in-process mirror (B's `onRevoked`), i.e. when B starts refusing;
 * - first refusal: from that call to the poller receiving B's first 401,
 *   which adds one request round trip under load.
 */
import autocannon from "autocannon";
import { loadavg } from "node:os";
import { TestIssuer } from "../src/testing/TestIssuer.js";
import { NodeProcess } from "../test/fixtures/redisCluster.js";
import { RedisServer, redisServerAvailable } from "../test/fixtures/redisServer.js";
import { fmt, table } from "./common.js";

const quick = process.argv.includes("--quick");
const samplesArg = process.argv.indexOf("--samples");
const SAMPLES = samplesArg === -1 ? (quick ? 50 : 300) : Math.max(10, Math.min(5000, Number(process.argv[samplesArg + 1]) || 300));
const LOAD_CONNECTIONS = 10;
const now = () => performance.timeOrigin + performance.now();
const log = (message: string) => process.stderr.write(`[bench:propagation] ${message}\n`);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

async function status(node: NodeProcess, token: string): Promise<number> {
  const res = await fetch(`${node.url}/profile`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return res.status;
}

if (!redisServerAvailable()) {
  console.log("bench:propagation needs redis-server (Debian/Ubuntu: sudo apt-get install -y redis-server).");
  process.exit(1);
}

const loadBefore = loadavg();
const redis = await RedisServer.start();
const issuer = await TestIssuer.start({ alg: "EdDSA" });
const env = { ...issuer.env(), REDIS_URL: redis.url };
const [a, b] = (await Promise.all([NodeProcess.start("A", env), NodeProcess.start("B", env)])) as [NodeProcess, NodeProcess];
const loadTokens = await Promise.all(Array.from({ length: 50 }, (_, i) => issuer.mint({ sub: `steady-${i}` }, { expiresIn: 3600 })));
const sampleTokens = await Promise.all(Array.from({ length: SAMPLES }, (_, i) => issuer.mint({ sub: `victim-${i}` }, { expiresIn: 3600 })));

// Background load on both nodes for the whole measurement (bounded: stopped below, and capped at 10 minutes).
const requests = loadTokens.map((token) => ({ method: "GET" as const, path: "/profile", headers: { authorization: `Bearer ${token}` } }));
const loads = [a, b].map((node) => {
  let finished!: (result: autocannon.Result) => void;
  const result = new Promise<autocannon.Result>((resolve) => (finished = resolve));
  const instance = autocannon({ url: `${node.url}/profile`, connections: LOAD_CONNECTIONS, duration: 600, requests }, (_error, r) => finished(r));
  return { stop: () => (instance.stop(), result) };
});
await new Promise((resolve) => setTimeout(resolve, 1000));

const mirror: number[] = [];
const refusal: number[] = [];
const pollRtt: number[] = [];
log(`${SAMPLES} samples, both nodes under load (${LOAD_CONNECTIONS} connections each)…`);
for (let i = 0; i < SAMPLES; i++) {
  const sub = `victim-${i}`;
  const token = sampleTokens[i] as string;
  if ((await status(b, token)) !== 200) throw new Error(`${sub} refused before the revocation`);
  let refusedAt = 0;
  const poller = (async () => {
    for (let n = 0; n < 10_000; n++) {
      const sent = now();
      const code = await status(b, token);
      pollRtt.push(now() - sent);
      if (code === 401) return (refusedAt = now());
    }
    throw new Error(`${sub}: node B never refused`);
  })();
  const { revokedAt } = await a.request<{ revokedAt: number }>({ type: "revoke", sub });
  await poller;
  const { heardAt } = await b.request<{ heardAt: number | null }>({ type: "heardAt", sub });
  if (heardAt === null) throw new Error(`${sub}: node B's store never heard of it`);
  mirror.push(heardAt - revokedAt);
  refusal.push(refusedAt - revokedAt);
}

const loadResults = await Promise.all(loads.map((load) => load.stop()));
const loadAfter = loadavg();
await Promise.all([a.stop(), b.stop()]);
await issuer.close();
await redis.stop();

const ms = (v: number) => fmt(v, 2);
const rows = [
  ["delay from revoke() on A", "p50 ms", "p99 ms", "max ms"],
  ["revocation in B's mirror (B refuses from here)", ms(percentile(mirror, 50)), ms(percentile(mirror, 99)), ms(Math.max(...mirror))],
  ["first 401 received by a client polling B", ms(percentile(refusal, 50)), ms(percentile(refusal, 99)), ms(Math.max(...refusal))],
  ["(one poll round trip to B under load)", ms(percentile(pollRtt, 50)), ms(percentile(pollRtt, 99)), ms(Math.max(...pollRtt))],
];
const rate = loadResults.reduce((sum, r) => sum + r.requests.average, 0);
console.log(table(rows));
console.log(
  `\n${SAMPLES} samples; background load ${fmt(rate)} req/s over both nodes (${loadResults.map((r) => r.non2xx).join("+")} non-2xx); ` +
    `load average before ${loadBefore.map((v) => v.toFixed(2)).join(" ")}, after ${loadAfter.map((v) => v.toFixed(2)).join(" ")}.`,
);
process.exit(0);
