/**
 * What the diagnostics channels cost on the warm path (a cached token
 * through the real AuthPipeline and JwksVerifier) and on a refusal (no
 * token): µs per call, one at a time, with nobody subscribed, with a no-op
 * subscriber on every channel, and with the OpenTelemetry adapter recording
 * into an SDK MeterProvider; with `--baseline <git ref>`, also the package as
 * it was at that commit (no instrumentation at all), loaded side by side in
 * the same process.
 *
 * Run alone: `npx tsx bench/diagnostics.ts [--baseline <ref>] [--quick]`.
 * The variants take turns, round after round, and each figure is the median
 * over the rounds, so a load burst from elsewhere hits every variant alike.
 */
import "reflect-metadata";
import { execFileSync } from "node:child_process";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { mkdirSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import * as current from "../src/index.js";
import { registerOidcMetrics } from "../src/opentelemetry/index.js";
import { publishAuthenticated, publishTokenCacheLookup } from "../src/services/diagnostics.js";
import { createOidcLogger } from "../src/services/logger.js";
import type { VerifiedClaims } from "../src/types.js";
import { TestIssuer } from "../src/testing/TestIssuer.js";
import { fmt, median, table } from "./common.js";

type Api = typeof current;

const quick = process.argv.includes("--quick");
const baselineIndex = process.argv.indexOf("--baseline");
const baselineRef = baselineIndex > 0 ? process.argv[baselineIndex + 1] : undefined;
const ROUNDS = quick ? 3 : 9;
/** Time spent measuring each figure per round, after a warm-up of a fifth of it. */
const BUDGET_MS = quick ? 150 : 400;
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BASELINES = join(ROOT, "bench", "baselines");

/** µs per call of `fn`, one call at a time. */
async function perCall(fn: () => Promise<unknown>): Promise<number> {
  const run = async (budgetMs: number) => {
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(budgetMs * 1e6);
    let calls = 0;
    while (process.hrtime.bigint() < deadline) {
      for (let j = 0; j < 100; j++) await fn();
      calls += 100;
    }
    return Number(process.hrtime.bigint() - start) / 1000 / calls;
  };
  await run(BUDGET_MS / 5);
  return run(BUDGET_MS);
}

/**
 * ns per warm request spent in the publishing points themselves with nobody
 * subscribed (the two a cached token passes: the cache lookup and
 * "authenticated"), over a loop doing the same minus those calls: a figure
 * the machine's load hardly moves, unlike the µs of a whole request.
 */
function publishPointsNs(claims: VerifiedClaims): number {
  const N = quick ? 2_000_000 : 20_000_000;
  let sink = 0;
  const loop = (publish: boolean) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      if (publish) {
        publishTokenCacheLookup(claims);
        publishAuthenticated("http", claims);
      }
      sink += i & 1;
    }
    return Number(process.hrtime.bigint() - start) / N;
  };
  const rounds = Array.from({ length: 5 }, () => loop(true) - loop(false));
  if (sink < 0) console.log(sink);
  return median(rounds);
}

/** Collects only when asked (here: never): recording still happens on every add(). */
class IdleReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

/** The package's src/ at `ref`, extracted inside this repository (so its imports resolve in node_modules) and loaded through tsx. */
async function loadBaseline(ref: string): Promise<Api> {
  rmSync(BASELINES, { recursive: true, force: true });
  // Under bench/, which the tsconfig tsx started with covers (decorators); git-ignored, removed at the end.
  const dir = join(BASELINES, ref.replace(/[^\w.-]/g, "_"));
  mkdirSync(dir, { recursive: true });
  const archive = execFileSync("git", ["archive", "--format=tar", ref, "src"], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  execFileSync("tar", ["-x", "-C", dir], { input: archive });
  return (await import(pathToFileURL(join(dir, "src/index.ts")).href)) as Api;
}

/** A pipeline of `api` trusting `issuer`, default collaborators, silent logger. */
function pipelineOf(api: Api, env: Record<string, string>) {
  const container = api.createOidcContainer();
  container.register(api.TOKENS.Environment, { useValue: env });
  container.register(api.TOKENS.Logger, { useValue: createOidcLogger(undefined, "silent") });
  // A host with no users manager: the default provisioner answers "no local user".
  container.register(api.TOKENS.AppHandle, { useValue: {} });
  return container.resolve(api.TOKENS.AuthPipeline);
}

interface Variant {
  name: string;
  pipeline: ReturnType<typeof pipelineOf>;
  /** Subscribes what the variant needs; returns the unsubscribe. */
  attach: () => () => void;
}

async function main(): Promise<void> {
  try {
    await measure(baselineRef === undefined ? undefined : await loadBaseline(baselineRef));
  } finally {
    rmSync(BASELINES, { recursive: true, force: true });
  }
}

async function measure(baseline: Api | undefined): Promise<void> {
  const issuer = await TestIssuer.start({ alg: "ES256" });
  const env = issuer.env();
  const token = await issuer.mint({ sub: "bench-user" }, { expiresIn: 3600 });
  const noop = () => undefined;
  const provider = new MeterProvider({ readers: [new IdleReader()] });
  const variants: Variant[] = [
    ...(baseline ? [{ name: `no instrumentation (${baselineRef})`, pipeline: pipelineOf(baseline, env), attach: () => noop }] : []),
    { name: "instrumented, no subscriber", pipeline: pipelineOf(current, env), attach: () => noop },
    {
      name: "instrumented, a no-op subscriber on every channel",
      pipeline: pipelineOf(current, env),
      attach: () => {
        const names = Object.values(current.OIDC_CHANNELS);
        for (const name of names) subscribe(name, noop);
        return () => names.forEach((name) => unsubscribe(name, noop));
      },
    },
    { name: "instrumented, OpenTelemetry adapter + SDK", pipeline: pipelineOf(current, env), attach: () => registerOidcMetrics(provider.getMeter("bench")) },
  ];
  const warm: number[][] = variants.map(() => []);
  const refused: number[][] = variants.map(() => []);
  const load = [loadavg()[0] ?? 0];
  for (const variant of variants) await variant.pipeline.authenticateRequest(() => token, "http"); // fetches the JWKS, fills the cache
  for (let round = 0; round < ROUNDS; round++) {
    // A different variant goes first each round.
    for (let k = 0; k < variants.length; k++) {
      const index = (round + k) % variants.length;
      const variant = variants[index] as Variant;
      const detach = variant.attach();
      try {
        warm[index]?.push(await perCall(() => variant.pipeline.authenticateRequest(() => token, "http")));
        refused[index]?.push(await perCall(() => variant.pipeline.authenticateRequest(() => undefined, "http").catch(noop)));
      } finally {
        detach();
      }
    }
  }
  const pointsNs = publishPointsNs({ sub: "bench-user", iss: issuer.issuer, exp: 2_000_000_000 } as VerifiedClaims);
  load.push(loadavg()[0] ?? 0);
  await provider.shutdown();
  await issuer.close();

  const rows = [["µs per call, median of rounds [min–max]", "warm (cached token)", "refused (no token)"]];
  const cell = (values: number[]) => `${fmt(median(values), 2)} [${fmt(Math.min(...values), 2)}–${fmt(Math.max(...values), 2)}]`;
  variants.forEach((variant, i) => rows.push([variant.name, cell(warm[i] ?? []), cell(refused[i] ?? [])]));
  console.log(`node ${process.version}, ${ROUNDS} rounds × ${BUDGET_MS} ms per figure, load average ${load.map((l) => l.toFixed(2)).join(" → ")}`);
  console.log(table(rows));
  console.log(`the publishing points of a warm request alone, nobody subscribed: ${fmt(pointsNs, 1)} ns per request`);
}

await main();
