import { createServer } from "node:net";
import { TestIssuer, type TestAlgorithm } from "../src/testing/TestIssuer.js";

/** The algorithms every HTTP and micro figure is given for. */
export const BENCH_ALGORITHMS = ["RS256", "ES256", "EdDSA"] as const satisfies readonly TestAlgorithm[];
export type BenchAlgorithm = (typeof BENCH_ALGORITHMS)[number];

/**
 * How to start the bench script `name` (e.g. "server") in a child process,
 * the way this process runs: `npm run bench` runs the tsc output in
 * `.bench-build/` with plain `node`, as users run the package, and its
 * children are JavaScript too; `npx tsx bench/<script>.ts` starts TypeScript
 * children through tsx. The servers are never measured through tsx by
 * `npm run bench`: tsx's transform (esbuild, `keepNames`) wraps every
 * closure in a `__name()` call, and a warm request cost about 16 µs more
 * server CPU through it (99 against 84 µs, see bench/README.md).
 */
export function benchChild(name: string, execArgv: string[] = []): { script: URL; execArgv: string[] } {
  const compiled = import.meta.url.endsWith(".js");
  return { script: new URL(`./${name}.${compiled ? "js" : "ts"}`, import.meta.url), execArgv: compiled ? execArgv : [...execArgv, "--import", "tsx"] };
}

/** The audience every bench token carries and every bench server expects. */
export const AUDIENCE = "bench-app";

/** One issuer publishing one key per bench algorithm; `kids[alg]` names the key to mint with. */
export interface BenchIssuer {
  issuer: TestIssuer;
  kids: Record<BenchAlgorithm, string>;
}

export async function startBenchIssuer(): Promise<BenchIssuer> {
  const issuer = await TestIssuer.start({ alg: "RS256", audience: AUDIENCE });
  const [rsKid = ""] = issuer.kids;
  const kids = { RS256: rsKid, ES256: await issuer.addKey("ES256"), EdDSA: await issuer.addKey("EdDSA") };
  return { issuer, kids };
}

/** `count` distinct tokens (distinct `jti`) signed with the key of `alg`, valid for an hour. */
export async function mintPool(bench: BenchIssuer, alg: BenchAlgorithm, count: number, offset = 0): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    tokens.push(await bench.issuer.mint({ sub: `user-${(offset + i) % 500}`, jti: `t-${alg}-${offset + i}`, roles: ["user"], permissions: ["read"] }, { kid: bench.kids[alg], expiresIn: 3600 }));
  }
  return tokens;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** A free loopback port (IOServer refuses port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Renders rows as a fixed-width text table (first row = header). */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? "").length))) ?? [];
  const line = (row: string[]) => row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0))).join("  ");
  return [line(rows[0] ?? []), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
}

export const fmt = (value: number, digits = 0): string => value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
