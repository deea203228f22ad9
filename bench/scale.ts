/**
 * Sockets at scale, in its own process: `npx tsx bench/scale.ts <count> [--json]`.
 * For an unprotected namespace and an ioserver-oidc one (default settings),
 * opens `count` Socket.IO connections (websocket), each with its own token,
 * and reads the server's heap and RSS (after a GC) and its active timers
 * before and after. Then measures acknowledged events per second from 50
 * of those sockets on ioserver-oidc alone and with `requireEventPermissions`
 * checking every event, the two servers alternating over the rounds.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { io, type Socket } from "socket.io-client";
import { fmt, median, mintPool, startBenchIssuer, table } from "./common.js";
import { startServer, type BenchServer, type ServerMemory as Usage } from "./launch.js";

const EMITTERS = 50;
const ROUNDS = 3;

export interface ScaleResult {
  sockets: number;
  tokenBytes: number;
  memory: { kind: string; before: Usage; after: Usage }[];
  /** Acknowledged events per second, per round, with and without the per-event check, and the server's CPU µs per event. */
  events: { oidc: number[]; guarded: number[]; oidcCpu: number[]; guardedCpu: number[] };
}

/** Opens one socket per token, 50 handshakes at a time; each bounded by a 10 s timeout. */
async function openSockets(url: string, tokens: string[]): Promise<Socket[]> {
  const sockets: Socket[] = [];
  let next = 0;
  const loop = async () => {
    while (next < tokens.length) {
      const token = tokens[next++];
      const socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false, timeout: 10_000, auth: { token } });
      await new Promise<void>((resolveOpen, reject) => {
        socket.once("connect", () => resolveOpen());
        socket.once("connect_error", (error) => reject(error));
      });
      sockets.push(socket);
    }
  };
  await Promise.all(Array.from({ length: 50 }, loop));
  return sockets;
}

/** Acknowledged "ping" events per second from `emitters`, each waiting for its ack before the next, and the server's CPU µs per event. */
async function eventRate(server: BenchServer, emitters: Socket[], seconds: number): Promise<{ rate: number; cpu: number }> {
  const cpuBefore = await server.cpuMicros();
  const deadline = performance.now() + seconds * 1000;
  let acked = 0;
  const started = performance.now();
  await Promise.all(
    emitters.map(async (socket) => {
      while (performance.now() < deadline) {
        await socket.timeout(5000).emitWithAck("ping", {});
        acked += 1;
      }
    }),
  );
  const rate = acked / ((performance.now() - started) / 1000);
  return { rate, cpu: ((await server.cpuMicros()) - cpuBefore) / acked };
}

export async function measureScale(count: number, seconds: number): Promise<ScaleResult> {
  const bench = await startBenchIssuer();
  const tokens = await mintPool(bench, "EdDSA", count);
  const env = bench.issuer.env();
  const memory: ScaleResult["memory"] = [];
  const events: ScaleResult["events"] = { oidc: [], guarded: [], oidcCpu: [], guardedCpu: [] };
  try {
    const kinds = [
      { kind: "baseline", label: "unprotected namespace", env },
      { kind: "oidc", label: "ioserver-oidc (default settings)", env },
      { kind: "oidc", label: "ioserver-oidc, token cache off", env: { ...env, AUTH_SERVICE_TOKEN_CACHE_SIZE: "0" } },
    ] as const;
    for (const { kind, label, env: serverEnv } of kinds) {
      const server = await startServer(kind, serverEnv, kind, ["--expose-gc"]);
      const before = await server.memory();
      const sockets = await openSockets(`${server.url}/bench`, tokens);
      const after = await server.memory();
      memory.push({ kind: label, before, after });
      for (const socket of sockets) socket.close();
      await server.stop();
    }
    const servers = { oidc: await startServer("oidc", env, "oidc", ["--expose-gc"]), guarded: await startServer("guarded", env, "guarded", ["--expose-gc"]) };
    const emitters = { oidc: await openSockets(`${servers.oidc.url}/bench`, tokens.slice(0, EMITTERS)), guarded: await openSockets(`${servers.guarded.url}/bench`, tokens.slice(0, EMITTERS)) };
    await eventRate(servers.oidc, emitters.oidc, 1);
    await eventRate(servers.guarded, emitters.guarded, 1);
    for (let round = 0; round < ROUNDS; round++) {
      const plain = await eventRate(servers.oidc, emitters.oidc, seconds);
      const guarded = await eventRate(servers.guarded, emitters.guarded, seconds);
      events.oidc.push(plain.rate);
      events.oidcCpu.push(plain.cpu);
      events.guarded.push(guarded.rate);
      events.guardedCpu.push(guarded.cpu);
    }
    for (const socket of [...emitters.oidc, ...emitters.guarded]) socket.close();
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  } finally {
    await bench.issuer.close();
  }
  return { sockets: count, tokenBytes: tokens[0]?.length ?? 0, memory, events };
}

export function formatScale(result: ScaleResult): string {
  const kib = (bytes: number) => `${fmt(bytes / 1024, 2)} KiB`;
  const per = (m: ScaleResult["memory"][number], field: "rss" | "heapUsed") => (m.after[field] - m.before[field]) / result.sockets;
  const [plain, ...oidc] = result.memory;
  const rows = result.memory.map((m) => [
    m.kind,
    kib(per(m, "heapUsed")),
    kib(per(m, "rss")),
    `${fmt(m.before.timers)} → ${fmt(m.after.timers)}`,
  ]);
  if (plain) {
    for (const m of oidc) rows.push([`${m.kind}, over unprotected`, kib(per(m, "heapUsed") - per(plain, "heapUsed")), kib(per(m, "rss") - per(plain, "rss")), ""]);
  }
  const ratios = result.events.guarded.map((rate, i) => rate / (result.events.oidc[i] ?? Number.NaN));
  const cpuRatios = result.events.guardedCpu.map((cpu, i) => cpu / (result.events.oidcCpu[i] ?? Number.NaN));
  const eventsLine = [
    `acknowledged events/s from ${EMITTERS} sockets: ioserver-oidc ${fmt(median(result.events.oidc))}, with requireEventPermissions ${fmt(median(result.events.guarded))};`,
    `throughput ratio per round ${fmt(median(ratios), 3)}× [${fmt(Math.min(...ratios), 3)}–${fmt(Math.max(...ratios), 3)}];`,
    `server CPU per event ${fmt(median(result.events.oidcCpu), 1)} µs against ${fmt(median(result.events.guardedCpu), 1)} µs, ratio ${fmt(median(cpuRatios), 3)}× [${fmt(Math.min(...cpuRatios), 3)}–${fmt(Math.max(...cpuRatios), 3)}]`,
  ].join("\n");
  return `${table([[`${fmt(result.sockets)} concurrent sockets (${result.tokenBytes}-byte EdDSA tokens, one each)`, "heap per socket", "RSS per socket", "server timers"], ...rows])}\n${eventsLine}`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const count = Number(process.argv[2] ?? 1000);
  if (!Number.isInteger(count) || count < 1) throw new Error("usage: scale.ts <count> [--json]");
  const result = await measureScale(count, count >= 5000 ? 5 : 2);
  console.log(process.argv.includes("--json") ? JSON.stringify(result) : formatScale(result));
}
