/**
 * `npm run demo -- --cluster`: several nodes on Redis, end to end on
 * loopback. Starts its own redis-server (no persistence), a local issuer,
 * and two IOServer processes (A and B) sharing revocations through
 * `ioserver-oidc/redis` and sockets through @socket.io/redis-streams-adapter.
 * alice and bob are signed in on both nodes (HTTP and a live socket each);
 * alice signs out: the issuer posts an OpenID Connect back-channel logout
 * for her session to node A only; the table shows what each node then
 * answers.
 * Exits 0 when every answer is the expected one.
 */
import type { Socket as ClientSocket } from "socket.io-client";
import { TestIssuer } from "../src/testing/TestIssuer.js";
import { connectSocket } from "../test/fixtures/app.js";
import { logoutToken } from "../test/fixtures/logoutApp.js";
import { NodeProcess } from "../test/fixtures/redisCluster.js";
import { RedisServer, redisServerAvailable } from "../test/fixtures/redisServer.js";

interface Watched {
  socket: ClientSocket;
  events: string[];
}

export async function runClusterDemo(print: (line: string) => void = console.log): Promise<number> {
  if (!redisServerAvailable()) {
    print("npm run demo -- --cluster needs redis-server (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis).");
    return 1;
  }
  const redis = await RedisServer.start();
  const issuer = await TestIssuer.start({ alg: "EdDSA", audience: "demo-app" });
  const env = { ...issuer.env(), REDIS_URL: redis.url };
  const nodes = await Promise.all([NodeProcess.start("A", env), NodeProcess.start("B", env)]);
  const sockets: Watched[] = [];
  try {
    const [a, b] = nodes as [NodeProcess, NodeProcess];
    const tokens = {
      alice: await issuer.mint({ sub: "alice", sid: "alice-session", roles: ["user"] }),
      bob: await issuer.mint({ sub: "bob", sid: "bob-session", roles: ["user"] }),
    };
    const live = new Map<string, Watched>();
    for (const [user, token] of Object.entries(tokens)) {
      for (const node of nodes) {
        if ((await http(node, token)) !== "200") throw new Error(`${user} is not served by node ${node.name} before the revocation`);
        const watched = await watch(node, token);
        sockets.push(watched);
        live.set(`${user}@${node.name}`, watched);
      }
    }
    print(`redis-server on ${redis.url}; node A ${a.url}, node B ${b.url}; alice and bob signed in on both (HTTP 200, one live socket each).`);
    print("alice signs out: the issuer POSTs a back-channel logout for her session to node A only…\n");

    const logout = new URLSearchParams({ logout_token: await logoutToken(issuer, { sub: "alice", sid: "alice-session" }) });
    const postedAt = Date.now();
    const posted = await fetch(`${a.url}/oidc/backchannel-logout`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: logout.toString() });
    if (posted.status !== 200) throw new Error(`node A answered the logout with ${posted.status}`);
    const revokedAt = Date.now();
    let refusedOnB = "";
    while ((refusedOnB = await http(b, tokens.alice)) === "200" && Date.now() - revokedAt < 10_000) await new Promise((r) => setTimeout(r, 5));
    const propagationMs = Date.now() - revokedAt;
    // Give the cut sockets a moment to report their disconnect (bounded).
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && [...live].some(([who, w]) => who.startsWith("alice") && w.socket.connected)) await new Promise((r) => setTimeout(r, 10));

    const expected: Record<"alice" | "bob", [string, string, string]> = {
      alice: ["401 ERR_AUTH_TOKEN_INVALID", "cut (auth:revoked, disconnect)", "ERR_AUTH_TOKEN_INVALID"],
      bob: ["200", "connected", "connected"],
    };
    const rows: string[][] = [];
    let mismatches = 0;
    for (const user of ["alice", "bob"] as const) {
      for (const node of nodes) {
        const watched = live.get(`${user}@${node.name}`) as Watched;
        const socketState = watched.socket.connected ? "connected" : `cut (${watched.events.join(", ")})`;
        const again = await connectSocket(node.url, "/chat", { auth: { token: tokens[user] } });
        again.socket?.close();
        const got = [await http(node, tokens[user]), socketState, again.connected ? "connected" : (again.error?.message ?? "refused")];
        const ok = got.every((g, i) => g === expected[user][i]);
        if (!ok) mismatches += 1;
        rows.push([user, node.name === "A" ? "A (got the logout)" : "B", ...got, ok ? "ok" : `EXPECTED ${expected[user].join(" | ")}`]);
      }
    }
    printTable(print, ["user", "node", "GET /profile", "live socket", "new socket", "check"], rows);
    print(
      `\nNode A answered the logout 200 in ${revokedAt - postedAt} ms; node B refused alice ${propagationMs} ms after that answer (${refusedOnB}). ` +
        "npm run bench:propagation measures the delay between nodes under load.",
    );
    print(mismatches === 0 ? "All outcomes as expected." : `${mismatches} answer(s) not as expected.`);
    return mismatches === 0 ? 0 : 1;
  } finally {
    for (const { socket } of sockets) socket.close();
    await Promise.all(nodes.map((node) => node.stop()));
    await issuer.close();
    await redis.stop();
  }
}

async function http(node: NodeProcess, token: string): Promise<string> {
  const res = await fetch(`${node.url}/profile`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { code?: string };
  return res.ok ? "200" : `${res.status} ${body.code}`;
}

async function watch(node: NodeProcess, token: string): Promise<Watched> {
  const outcome = await connectSocket(node.url, "/chat", { auth: { token } });
  if (!outcome.socket) throw new Error(`socket refused by node ${node.name}: ${outcome.error?.message}`);
  const events: string[] = [];
  for (const event of ["auth:revoked", "disconnect"]) outcome.socket.on(event, () => events.push(event));
  return { socket: outcome.socket, events };
}

function printTable(print: (line: string) => void, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ");
  print(line(header));
  print(widths.map((w) => "-".repeat(w)).join("-|-"));
  for (const row of rows) print(line(row));
}
