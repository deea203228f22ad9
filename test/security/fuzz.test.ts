/**
 * Fuzzing with fast-check: valid tokens and Authorization headers, mutated,
 * must never be accepted (unless the mutation only respells the same
 * token), never crash, never leave an unhandled rejection.
 *
 * Volume runs through the shared AuthPipeline (credential extraction +
 * JwksVerifier against a real, warm loopback JWKS); a smaller sample goes
 * through a real IOServer on both transports.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "@jest/globals";
import fc from "fast-check";
import type { DependencyContainer } from "tsyringe";
import { createOidcContainer, createOidcLogger, ERR_AUTH_TOKEN_INVALID, ERR_AUTH_TOKEN_REQUIRED, OidcError, TOKENS, type AuthPipeline } from "../../src/index.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { handshakeToken, httpRequestToken } from "../../src/transport/credentials.js";
import { calls } from "../fixtures/app.js";
import { httpGet, LogCapture, ManualClock, socketProbe, startProtectedApp, type ProtectedApp, seconds } from "./harness.js";
import { buildHeader, headerMayBeAccepted, headerMutation, headerUsesBothSchemes, isSpellingOf, mutateToken, tokenMutation } from "./mutations.js";
import { datesMayBeAccepted, payloadText, spell, tokenDates } from "./numericDates.js";

const PIPELINE_RUNS = 10_000;
const HEADER_RUNS = 3_000;
const SERVER_HTTP_RUNS = 300;
const SERVER_SOCKET_RUNS = 150;
const NUMERIC_DATE_RUNS = 400;
/** Bounds on a whole run: exceeding one fails the test rather than quietly running fewer cases. */
const RUN_TIME_LIMIT_MS = 40_000;
const CASE_TIMEOUT_MS = 2_000;
const runOptions = (numRuns: number): fc.Parameters<unknown> => ({
  numRuns,
  interruptAfterTimeLimit: RUN_TIME_LIMIT_MS,
  markInterruptAsFailure: true,
  timeout: CASE_TIMEOUT_MS,
});

/**
 * Jest hands tests a sandboxed `process` whose listeners never see real
 * events, so the listener goes on Node's own process object, reached
 * through a function of the outer realm.
 */
const nodeProcess = (Buffer.constructor as FunctionConstructor)("return process")() as NodeJS.Process;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

let issuer: TestIssuer;
let bases: string[];
let clock: ManualClock;

beforeAll(async () => {
  nodeProcess.on("unhandledRejection", onUnhandled);
  clock = new ManualClock();
  issuer = await TestIssuer.start({ alg: "RS256" });
  const kids = { RS256: issuer.kids[0] as string, ES256: await issuer.addKey("ES256"), EdDSA: await issuer.addKey("EdDSA"), PS256: await issuer.addKey("PS256") };
  const claims = { roles: ["admin", "user"], permissions: ["read"], features: { beta: true }, email: "u@example.com" };
  const mint = (kid: string, header: Record<string, unknown> = {}) => issuer.mint(claims, { now: seconds(clock), kid, header });
  bases = await Promise.all([mint(kids.RS256), mint(kids.ES256), mint(kids.EdDSA), mint(kids.PS256), mint(kids.ES256, { kid: undefined })]);
});

afterAll(async () => {
  nodeProcess.off("unhandledRejection", onUnhandled);
  await issuer.close();
});

afterEach(async () => {
  // Rejections are reported after the microtask queue drains: let one macrotask pass first.
  await new Promise((resolve) => setImmediate(resolve));
  expect(unhandled).toEqual([]);
});

/** A refusal must be one of the two client codes, as an OidcError. */
function expectClientRefusal(error: unknown): void {
  expect(error).toBeInstanceOf(OidcError);
  expect([ERR_AUTH_TOKEN_REQUIRED, ERR_AUTH_TOKEN_INVALID]).toContain((error as OidcError).code);
}

describe("through the AuthPipeline with a warm key set", () => {
  let container: DependencyContainer;
  let pipeline: AuthPipeline;
  const log = new LogCapture();

  beforeAll(async () => {
    container = createOidcContainer();
    container.register(TOKENS.Environment, { useValue: issuer.env() });
    container.register(TOKENS.Clock, { useValue: clock });
    container.register(TOKENS.Logger, { useValue: createOidcLogger(log.stream, "debug") });
    container.register(TOKENS.AppHandle, { useValue: {} });
    await container.resolve(TOKENS.KeySetRegistry).get(container.resolve(TOKENS.ConfigService).get()).reload();
    pipeline = container.resolve(TOKENS.AuthPipeline);
  });

  beforeEach(() => log.clear());

  const viaHeader = (header: string) => pipeline.authenticateRequest(() => httpRequestToken({ headers: { authorization: header }, rawHeaders: ["Authorization", header] }), "fuzz");

  test("every base token is accepted (the oracle's positive side)", async () => {
    for (const token of bases) await expect(viaHeader(`Bearer ${token}`)).resolves.toMatchObject({ context: { sub: "user-1" } });
  });

  test(`${PIPELINE_RUNS} mutated tokens: none accepted, each refused with a client code`, async () => {
    let mutated = 0;
    // Refusals caused by the settings (an allowed-looking alg the list leaves out) are sampled: only the first of each rule is logged in full.
    let settingRefusals = 0;
    const settingRules = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(tokenMutation, { minLength: 1, maxLength: 3 }), async (pick, mutations) => {
        const base = bases[pick % bases.length] as string;
        const token = mutations.reduce((t, m) => mutateToken(t, m, bases), base);
        // A mutation that only respells a valid token is not a mutation.
        fc.pre(!isSpellingOf(token, bases));
        mutated += 1;
        const outcome = await viaHeader(`Bearer ${token}`).then(
          () => "accepted",
          (error: unknown) => error,
        );
        expect(outcome).not.toBe("accepted");
        expectClientRefusal(outcome);
        const detail = (outcome as OidcError).detail;
        if (detail?.kind === "settings") {
          settingRefusals += 1;
          settingRules.add(detail.rule);
        }
      }),
      runOptions(PIPELINE_RUNS),
    );
    expect(mutated).toBe(PIPELINE_RUNS);
    // Each refusal logged once (the clock stands still: repeated setting refusals are only counted); no token (nor any base token's signature) in the log.
    expect(log.refusals()).toHaveLength(PIPELINE_RUNS - settingRefusals + settingRules.size);
    for (const base of bases) expect(log.text.includes(base.split(".")[2] as string)).toBe(false);
  }, 60_000);

  test(`${HEADER_RUNS} mutated Authorization headers and auth.token values: accepted exactly when RFC 6750 allows it`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), headerMutation, fc.boolean(), async (pick, mutation, asAuthToken) => {
        const base = bases[pick % bases.length] as string;
        const value = buildHeader(mutation, base, bases);
        // auth.token follows the header rules once a missing "Bearer " is put in front.
        const equivalentHeader = asAuthToken && !/^bearer(?:\s|$)/i.test(value) ? `Bearer ${value}` : value;
        const extract = asAuthToken
          ? () => handshakeToken({ token: value }, { headers: {}, rawHeaders: [] })
          : () => httpRequestToken({ headers: { authorization: value }, rawHeaders: ["Authorization", value] });
        const outcome = await pipeline.authenticateRequest(extract, "fuzz").then(
          () => "accepted",
          (error: unknown) => error,
        );
        // Accepted exactly when the independent model allows it: no wrongful acceptance, no wrongful refusal.
        expect(outcome === "accepted").toBe(headerMayBeAccepted(equivalentHeader, bases));
        if (outcome !== "accepted") expectClientRefusal(outcome);
      }),
      runOptions(HEADER_RUNS),
    );
  }, 60_000);
});

describe("validly signed tokens whose NumericDates are spelled every way JSON allows", () => {
  /** jose compares whole seconds: a clock on a whole second keeps the model's and the verifier's "now" equal. */
  const dateClock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
  const TOLERANCE = 5;
  let pipeline: AuthPipeline;
  const log = new LogCapture();

  beforeAll(() => {
    const container = createOidcContainer();
    container.register(TOKENS.Environment, { useValue: issuer.env() });
    container.register(TOKENS.Clock, { useValue: dateClock });
    container.register(TOKENS.Logger, { useValue: createOidcLogger(log.stream, "debug") });
    container.register(TOKENS.AppHandle, { useValue: {} });
    pipeline = container.resolve(TOKENS.AuthPipeline);
  });

  test(`${NUMERIC_DATE_RUNS} exp/nbf/iat spellings (exponents, fractions, -0, past 2^53, overflowing to Infinity): accepted exactly when the model allows`, async () => {
    const now = seconds(dateClock);
    const outcomes = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(tokenDates(now), async (dates) => {
        const token = await issuer.sign(payloadText({ iss: issuer.issuer, aud: issuer.audience, sub: "user-1" }, dates), { typ: "JWT" });
        const outcome = await pipeline.authenticateRequest(() => token, "fuzz").then(
          (result) => result,
          (error: unknown) => error,
        );
        const accepted = !(outcome instanceof Error);
        outcomes[accepted ? "accepted" : "refused"] += 1;
        expect({ dates: [spell(dates.exp), dates.nbf && spell(dates.nbf), dates.iat && spell(dates.iat)], accepted }).toEqual({
          dates: [spell(dates.exp), dates.nbf && spell(dates.nbf), dates.iat && spell(dates.iat)],
          accepted: datesMayBeAccepted(dates, now, TOLERANCE),
        });
        if (accepted) expect(Number.isFinite((outcome as { claims: { exp: number } }).claims.exp)).toBe(true);
        else expect((outcome as OidcError).code).toBe(ERR_AUTH_TOKEN_INVALID);
      }),
      runOptions(NUMERIC_DATE_RUNS),
    );
    // Both sides of the model were exercised.
    expect(outcomes.accepted).toBeGreaterThan(NUMERIC_DATE_RUNS / 10);
    expect(outcomes.refused).toBeGreaterThan(NUMERIC_DATE_RUNS / 10);
  }, 60_000);
});

describe("through a real IOServer", () => {
  let app: ProtectedApp;

  beforeAll(async () => {
    app = await startProtectedApp(issuer, { clock });
    await app.ready();
  });
  afterAll(async () => app.stop());

  /** fetch only sends header values made of visible ASCII, spaces and tabs; the raw corpus covers the rest. */
  const sendable = (header: string): boolean => /^[\x21-\x7e][\x20-\x7e\t]*[\x21-\x7e]$|^[\x21-\x7e]?$/.test(header);

  test(`${SERVER_HTTP_RUNS} mutated Authorization headers over HTTP`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), headerMutation, async (pick, mutation) => {
        const header = buildHeader(mutation, bases[pick % bases.length] as string, bases);
        fc.pre(sendable(header));
        calls.length = 0;
        const res = await httpGet(`${app.url}/profile`, { authorization: header });
        expect(res.status === 200).toBe(headerMayBeAccepted(header, bases));
        if (res.status === 200) {
          expect(calls).toEqual(["http:getProfile"]);
        } else {
          const refusal = headerUsesBothSchemes(header) ? [400, ERR_AUTH_TOKEN_INVALID] : [401, ERR_AUTH_TOKEN_INVALID];
          expect([res.status, res.body?.code]).toEqual(res.body?.code === ERR_AUTH_TOKEN_REQUIRED ? [401, ERR_AUTH_TOKEN_REQUIRED] : refusal);
          expect(calls).toEqual([]);
        }
      }),
      runOptions(SERVER_HTTP_RUNS),
    );
  }, 60_000);

  test(`${SERVER_SOCKET_RUNS} mutated tokens as Socket.IO auth.token`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(tokenMutation, { minLength: 1, maxLength: 2 }), async (pick, mutations) => {
        const token = mutations.reduce((t, m) => mutateToken(t, m, bases), bases[pick % bases.length] as string);
        fc.pre(!isSpellingOf(token, bases));
        calls.length = 0;
        const probe = await socketProbe(app.url, "/chat", { auth: { token } });
        expect(probe.connected).toBe(false);
        expect([ERR_AUTH_TOKEN_REQUIRED, ERR_AUTH_TOKEN_INVALID]).toContain(probe.error?.message);
        expect(calls).toEqual([]);
      }),
      runOptions(SERVER_SOCKET_RUNS),
    );
  }, 60_000);
});
