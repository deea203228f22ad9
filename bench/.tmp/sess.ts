import "reflect-metadata";
import { LiveSocketSessions } from "/work/wt/perf/src/transport/socketSession.ts";
import { attachAuth } from "/work/wt/perf/src/transport/authState.ts";
import { recordedUserContext } from "/work/wt/perf/src/services/verification/claims.ts";
import { createOidcLogger } from "/work/wt/perf/src/services/logger.ts";
import { systemClock } from "/work/wt/perf/src/services/Clock.ts";
const gc = (globalThis as any).gc;
const N = 20000;
const logger = createOidcLogger(undefined, "silent");
const sessions = new LiveSocketSessions({ pipeline: {} as any, registrar: { register() {}, unregister() {} } as any, config: { get: () => ({ socketExpiry: "disconnect", clockToleranceSeconds: 5 }) } as any, clock: systemClock, logger, servers: { add() {} } });
const mode = process.argv[2];
class FakeSocket { id: string; listeners: any[] = []; constructor(i: number) { this.id = "sock" + i + "xxxxxxxxxxxxxx"; } join() {} leave() {} emit() {} on(e: string, l: any) { this.listeners.push(l); } once(e: string, l: any) { this.listeners.push(l); } disconnect() {} }
const keep: any[] = [];
const mk = (i: number) => { const claims = Object.freeze({ sub: "user-" + i, iss: "https://x", aud: "app", exp: Math.floor(Date.now()/1000) + 3600, roles: Object.freeze(["user"]), permissions: Object.freeze(["read", "write"]) }); return claims; };
for (let i = 0; i < N; i++) keep.push({ s: new FakeSocket(i), c: mk(i) });
gc(); const before = process.memoryUsage().heapUsed;
for (const k of keep) {
  const context = recordedUserContext(k.c, undefined);
  const result = Object.freeze({ context, claims: k.c, localRole: undefined });
  if (mode !== "none") attachAuth(k.s, result);
  if (mode === "all") sessions.open(k.s, result as any);
}
gc(); const after = process.memoryUsage().heapUsed;
console.log(mode, ((after - before) / N).toFixed(0), "bytes per socket;", process.getActiveResourcesInfo().filter(r => r === "Timeout").length, "timers");
process.exit(0);
