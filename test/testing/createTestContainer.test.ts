import { afterAll, beforeAll, expect, test } from "@jest/globals";
import pino from "pino";
import { Writable } from "node:stream";
import { TOKENS } from "../../src/tokens.js";
import { createTestContainer, fakeVerifier, InMemoryUserProvisioner, ManualClock, TestIssuer } from "../../src/testing/index.js";
import { ProfileController, startServer } from "../fixtures/app.js";
import { captureManagerStartErrors } from "../fixtures/managerErrors.js";

// These tests start the manager against broken settings or a JWKS that is down, on purpose.
const managerErrors = captureManagerStartErrors();

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await TestIssuer.start();
});
afterAll(() => issuer.close());

async function serve(oidc: ReturnType<typeof createTestContainer>) {
  return startServer((server) => {
    server.addManager({ name: "oidcConfig", manager: oidc.OidcConfigManager });
    server.addController({ name: "profile", controller: ProfileController, middlewares: [oidc.OidcHttpMiddleware], prefix: "/profile" });
  });
}

const profile = async (url: string, token: string) => {
  const response = await fetch(`${url}/profile`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

test("two servers in one process each use their own container's fakes", async () => {
  const a = await serve(createTestContainer({ verifier: fakeVerifier({ shared: { sub: "alice" } }), users: new InMemoryUserProvisioner([{ sub: "alice", id: "a-1" }]) }));
  const b = await serve(createTestContainer({ verifier: fakeVerifier({ shared: { sub: "bob" }, "b-only": { sub: "carol" } }) }));
  try {
    expect(await profile(a.url, "shared")).toMatchObject({ status: 200, body: { sub: "alice", userId: "a-1" } });
    expect(await profile(b.url, "shared")).toMatchObject({ status: 200, body: { sub: "bob", userId: "bob" } });
    expect(await profile(a.url, "b-only")).toMatchObject({ status: 401, body: { code: "ERR_AUTH_TOKEN_INVALID" } });
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test("without env the container reads nothing from process.env; with issuer.env() the real verifier accepts the issuer's tokens", async () => {
  const saved = { ...process.env };
  Object.assign(process.env, issuer.env());
  const token = await issuer.mint({ sub: "dave" });
  const bare = await serve(createTestContainer());
  const configured = await serve(createTestContainer({ env: issuer.env() }));
  try {
    expect(await profile(bare.url, token)).toMatchObject({ status: 500, body: { code: "ERR_AUTH_MISCONFIGURED" } });
    expect(await profile(configured.url, token)).toMatchObject({ status: 200, body: { sub: "dave" } });
  } finally {
    process.env = saved;
    await Promise.all([bare.stop(), configured.stop()]);
  }
});

test("a ManualClock decides expiry for the real verifier", async () => {
  const clock = new ManualClock();
  const { container } = createTestContainer({ env: issuer.env(), clock });
  const verifier = container.resolve(TOKENS.JwksVerifier);
  const token = await issuer.mint({ sub: "erin" }, { expiresIn: 60, now: Math.floor(clock.now() / 1000) });
  expect(await verifier.verify(token)).toMatchObject({ sub: "erin" });
  clock.advance(10 * 60_000);
  await expect(verifier.verify(token)).rejects.toMatchObject({ code: "ERR_AUTH_TOKEN_INVALID" });
});

test("refusals go to the given logger; the default logger is silent", async () => {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
  const logged = createTestContainer({ verifier: fakeVerifier({}), users: new InMemoryUserProvisioner(), logger: pino({ level: "debug" }, sink) });
  await expect(logged.container.resolve(TOKENS.AuthPipeline).authenticateRequest(() => "nope", "http")).rejects.toMatchObject({ code: "ERR_AUTH_TOKEN_INVALID" });
  expect(lines.join("")).toContain('"code":"ERR_AUTH_TOKEN_INVALID"');
  expect(lines.join("")).not.toContain("nope");
  expect(createTestContainer().container.resolve(TOKENS.Logger).level).toBe("silent");
});

test("the manager loads nothing for a fake verifier without env, and still reports a missing env otherwise", async () => {
  const faked = createTestContainer({ verifier: fakeVerifier({}) });
  await expect(new faked.OidcConfigManager().start()).resolves.toBeUndefined();
  const real = createTestContainer();
  await expect(new real.OidcConfigManager().start()).rejects.toMatchObject({ code: "ERR_AUTH_MISCONFIGURED" });
  const warmed = createTestContainer({ env: issuer.env() });
  const before = issuer.jwksRequests;
  await new warmed.OidcConfigManager().start();
  expect(issuer.jwksRequests).toBe(before + 1);
});

test("IOServer printed the start() that failed above for a missing env, naming the variable", () => {
  expect(managerErrors.lines).toContainEqual(expect.stringContaining("AUTH_SERVICE_URL is required"));
});
