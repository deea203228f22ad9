import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from "@opentelemetry/sdk-metrics";
import { revoke } from "../../src/index.js";
import { OIDC_METRICS, registerOidcMetrics } from "../../src/opentelemetry/index.js";
import { TestIssuer } from "../../src/testing/index.js";
import { connectSocket } from "../fixtures/app.js";
import { startOidcApp, type OidcApp } from "../fixtures/oidcApp.js";

// The OpenTelemetry adapter read the way an exporter reads it (a MetricReader's
// collect()), after real requests and handshakes to a real IOServer on
// 127.0.0.1 whose JWKS comes from a real HTTP issuer.

/** Collects on demand only: what an exporter would be handed. */
class PullReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

let issuer: TestIssuer;
let app: OidcApp;
let provider: MeterProvider;
const reader = new PullReader();
let stopMetrics: () => void;

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "RS256" });
  provider = new MeterProvider({ readers: [reader] });
  stopMetrics = registerOidcMetrics(provider.getMeter("ioserver-oidc-test"));
  app = await startOidcApp({ env: issuer.env() });
});
afterAll(async () => {
  stopMetrics();
  await app?.stop();
  await issuer?.close();
  await provider?.shutdown();
});

/** The data points of one instrument, attributes and value only. */
async function points(name: string): Promise<{ attributes: Record<string, unknown>; value: unknown }[]> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  const metric = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((m) => m.descriptor.name === name);
  return ((metric?.dataPoints ?? []) as DataPoint<unknown>[]).map(({ attributes, value }) => ({ attributes, value }));
}

const get = (path: string, token?: string) => fetch(`${app.url}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

test("authentications, refusals, cache lookups and the JWKS fetch are exported with their attributes", async () => {
  const token = await issuer.mint({ sub: "alice", roles: ["user"] });
  expect((await get("/profile", token)).status).toBe(200);
  expect((await get("/profile", token)).status).toBe(200);
  expect((await get("/profile")).status).toBe(401);
  const chat = await connectSocket(app.url, "/chat", { auth: { token } });
  expect(chat.connected).toBe(true);
  chat.socket?.close();
  const admin = await connectSocket(app.url, "/admin", { auth: { token } });
  expect(admin.error?.message).toBe("ERR_FORBIDDEN");

  expect(await points(OIDC_METRICS.authentications)).toEqual(
    expect.arrayContaining([
      { attributes: { "ioserver_oidc.transport": "http", "ioserver_oidc.cached": false }, value: 1 },
      { attributes: { "ioserver_oidc.transport": "http", "ioserver_oidc.cached": true }, value: 1 },
      // /chat and /admin: both handshakes were authenticated from the cache; /admin's guard then refused.
      { attributes: { "ioserver_oidc.transport": "socket", "ioserver_oidc.cached": true }, value: 2 },
    ]),
  );
  expect(await points(OIDC_METRICS.authentications)).toHaveLength(3);
  expect(await points(OIDC_METRICS.refusals)).toEqual([
    { attributes: { "ioserver_oidc.transport": "http", "error.type": "ERR_AUTH_TOKEN_REQUIRED", "ioserver_oidc.refusal.kind": "missing" }, value: 1 },
    { attributes: { "ioserver_oidc.transport": "socket", "error.type": "ERR_FORBIDDEN", "ioserver_oidc.refusal.kind": "forbidden" }, value: 1 },
  ]);
  expect(await points(OIDC_METRICS.tokenCacheLookups)).toEqual([
    { attributes: { "ioserver_oidc.token_cache.result": "miss" }, value: 1 },
    { attributes: { "ioserver_oidc.token_cache.result": "hit" }, value: 3 },
  ]);

  // OidcConfigManager's warm-up and the first request share one fetch.
  const [fetchPoint, ...others] = await points(OIDC_METRICS.jwksFetchDuration);
  expect(others).toEqual([]);
  expect(fetchPoint?.attributes).toEqual({ "url.full": issuer.jwksUri, "ioserver_oidc.outcome": "success" });
  const histogram = fetchPoint?.value as Histogram;
  expect(histogram.count).toBe(1);
  expect(histogram.sum).toBeGreaterThan(0);
  expect(histogram.buckets.boundaries).toEqual([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);
});

test("a revocation is counted by kind, and the revoked token's refusal as 'revoked'", async () => {
  const token = await issuer.mint({ sub: "bob", sid: "bob-session" });
  expect((await get("/profile", token)).status).toBe(200);
  await revoke({ sid: "bob-session" }, { container: app.container });
  expect((await get("/profile", token)).status).toBe(401);
  expect(await points(OIDC_METRICS.revocations)).toEqual([{ attributes: { "ioserver_oidc.revocation.kind": "sid" }, value: 1 }]);
  expect(await points(OIDC_METRICS.refusals)).toContainEqual({
    attributes: { "ioserver_oidc.transport": "http", "error.type": "ERR_AUTH_TOKEN_INVALID", "ioserver_oidc.refusal.kind": "revoked" },
    value: 1,
  });
});

test("a forged token counts as a 'signature' refusal; once unsubscribed, nothing more is counted", async () => {
  const forged = await TestIssuer.forge({ sub: "eve", iss: issuer.issuer, aud: issuer.audience, exp: Math.floor(Date.now() / 1000) + 60 });
  expect((await get("/profile", forged)).status).toBe(401);
  const forgedRefusal = { "ioserver_oidc.transport": "http", "error.type": "ERR_AUTH_TOKEN_INVALID", "ioserver_oidc.refusal.kind": "signature" };
  expect(await points(OIDC_METRICS.refusals)).toContainEqual({ attributes: forgedRefusal, value: 1 });

  stopMetrics();
  stopMetrics();
  expect((await get("/profile", forged)).status).toBe(401);
  expect((await get("/profile")).status).toBe(401);
  const refusals = await points(OIDC_METRICS.refusals);
  expect(refusals).toContainEqual({ attributes: forgedRefusal, value: 1 });
  expect(refusals).toContainEqual({ attributes: expect.objectContaining({ "error.type": "ERR_AUTH_TOKEN_REQUIRED" }), value: 1 });
});
