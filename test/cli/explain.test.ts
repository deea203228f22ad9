/**
 * `ioserver-oidc explain` as a user runs it: its own process, the token on
 * standard input, against a real JWKS (TestIssuer) and a real BetterAuth
 * server. It must never print the token or its signature.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { startBetterAuthServer, type BetterAuthServer } from "../interop/betterAuthServer.js";
import { runCli, secretsOf, type CliRun } from "./runCli.js";

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256", audience: "my-app" });
});
afterAll(async () => issuer.close());

const now = (): number => Math.floor(Date.now() / 1000);

/** Runs explain on `token` and checks it printed neither the token nor its signature. */
async function explain(token: string, env: Record<string, string> = issuer.env()): Promise<CliRun> {
  const run = await runCli(["explain"], { env, stdin: `${token}\n` });
  for (const secret of secretsOf(token)) {
    expect(run.stdout).not.toContain(secret);
    expect(run.stderr).not.toContain(secret);
  }
  return run;
}

/** The status explain gave a rule, e.g. "pass" or "FAIL". */
const statusOf = (run: CliRun, rule: string): string | undefined => new RegExp(`^  (pass|FAIL|skip)\\s+${rule}\\s`, "m").exec(run.stdout)?.[1];

describe("tokens of a TestIssuer", () => {
  test("a valid token: every rule passes, exit 0", async () => {
    const run = await explain(await issuer.mint({ sub: "alice" }));
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/^\s+FAIL/m);
    expect(run.stdout).toContain(`iss  "${issuer.issuer}"`);
    expect(run.stdout).toContain("Verdict: accepted");
  });

  test("localhost against 127.0.0.1: the issuer rule fails with both values, exit 1", async () => {
    const localhost = issuer.url.replace("127.0.0.1", "localhost");
    const run = await explain(await issuer.mint(), issuer.env({ AUTH_SERVICE_ISSUER: localhost }));
    expect(run.code).toBe(1);
    expect(statusOf(run, "issuer")).toBe("FAIL");
    expect(run.stdout).toContain(`iss is "${issuer.url}", AUTH_SERVICE_ISSUER is "${localhost}"`);
    expect(statusOf(run, "signature")).toBe("pass");
    expect(run.stdout).toContain("refused with 401 ERR_AUTH_TOKEN_INVALID");
    expect(run.stdout).toMatch(/logs the first one at warn .*rule "issuer"/);
  });

  test("a wrong app slug: the audience rule names the derived setting", async () => {
    const run = await explain(await issuer.mint(), issuer.env({ AUTH_SERVICE_APP_SLUG: "other-app" }));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('aud is "my-app", AUTH_SERVICE_AUDIENCE (derived from AUTH_SERVICE_APP_SLUG) is "other-app"');
  });

  test("an expired token: the expiry rule says when and what to do", async () => {
    const run = await explain(await issuer.mint({}, { now: now() - 3600 }));
    expect(run.code).toBe(1);
    expect(statusOf(run, "expiry")).toBe("FAIL");
    expect(run.stdout).toMatch(/exp is \S+ \(\d+ s ago\), AUTH_SERVICE_CLOCK_TOLERANCE is 5 s: get a new token/);
    expect(run.stdout).toMatch(/logs the first one at debug/);
  });

  test("a forged token: the signature fails, the claim rules still run, said to be on an untrusted token", async () => {
    const forged = await TestIssuer.forge({ iss: "https://elsewhere.example", aud: "my-app", sub: "x", exp: now() + 60 }, "ES256", { kid: issuer.kids[0] });
    const run = await explain(forged);
    expect(run.code).toBe(1);
    expect(statusOf(run, "key")).toBe("pass");
    expect(statusOf(run, "signature")).toBe("FAIL");
    expect(statusOf(run, "issuer")).toBe("FAIL");
    expect(run.stdout).toContain("the signature did not verify");
    expect(run.stdout).toContain("Rules after a failed signature ran on an untrusted token");
  });

  test("an algorithm the settings leave out: the algorithm rule fails, the key is still found", async () => {
    const run = await explain(await issuer.mint(), issuer.env({ AUTH_SERVICE_ALGORITHMS: "RS256" }));
    expect(run.code).toBe(1);
    expect(statusOf(run, "algorithm")).toBe("FAIL");
    expect(run.stdout).toContain('alg is "ES256", AUTH_SERVICE_ALGORITHMS is "RS256": add ES256 to AUTH_SERVICE_ALGORITHMS');
    expect(statusOf(run, "key")).toBe("pass");
  });

  test("every rule of the verifier appears in the table, in its order", async () => {
    const { RULE_NAMES } = await import("../../src/services/verification/rules.js");
    const run = await explain(await issuer.mint());
    const listed = [...run.stdout.matchAll(/^ {2}(?:pass|FAIL|skip)\s+(\S+)/gm)].map((m) => m[1]);
    expect(listed).toEqual([...RULE_NAMES]);
  });

  test("pasted forms: Bearer prefix, Authorization header line, /api/auth/token's JSON answer", async () => {
    const token = await issuer.mint();
    for (const input of [`Bearer ${token}`, `Authorization: Bearer ${token}`, JSON.stringify({ token })]) {
      const run = await explain(input);
      expect(run.code).toBe(0);
      expect(run.stdout).not.toContain(token.split(".")[2]);
    }
  });
});

describe("input it refuses", () => {
  test("a token on the command line is refused, and not echoed", async () => {
    const token = await issuer.mint();
    const run = await runCli(["explain", token], { env: issuer.env() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("reads the token from standard input");
    for (const secret of secretsOf(token)) expect(run.stdout + run.stderr).not.toContain(secret);
  });

  test("empty standard input: exit 2", async () => {
    const run = await runCli(["explain"], { env: issuer.env(), stdin: "" });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain("No token on standard input");
  });

  test("invalid settings: said, exit 1", async () => {
    const run = await explain(await issuer.mint(), { AUTH_SERVICE_APP_SLUG: "my-app" });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("AUTH_SERVICE_URL is required");
  });
});

describe("a real BetterAuth server", () => {
  let auth: BetterAuthServer;
  let signIn: { token: string; cookie: string };
  beforeAll(async () => {
    auth = await startBetterAuthServer({ audience: "my-app" });
    await auth.signUp("ada@example.com", "correct-horse-battery", "Ada");
    const res = await fetch(`${auth.authBaseURL}/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: auth.baseURL },
      body: JSON.stringify({ email: "ada@example.com", password: "correct-horse-battery" }),
    });
    const body = (await res.json()) as { token: string };
    const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0] ?? "").find((c) => c.includes("session_token=")) ?? "";
    signIn = { token: body.token, cookie };
  });
  afterAll(async () => auth.close());

  const env = (): Record<string, string> => ({ AUTH_SERVICE_URL: auth.baseURL, AUTH_SERVICE_APP_SLUG: "my-app" });

  test("the sign-in answer's session token is recognised, and the endpoint that gives the JWT named", async () => {
    expect(signIn.token).toMatch(/^[A-Za-z0-9]{32}$/);
    const run = await explain(signIn.token, env());
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("This is a BetterAuth session token");
    expect(run.stdout).toContain(`GET ${auth.authBaseURL}/token`);
    expect(run.stdout).toContain(`POST ${auth.authBaseURL}/oauth2/token`);
  });

  test("the session cookie's value (token.signature) and the whole sign-in JSON are recognised too", async () => {
    const cookieValue = signIn.cookie.slice(signIn.cookie.indexOf("=") + 1);
    for (const input of [cookieValue, decodeURIComponent(cookieValue), signIn.cookie]) {
      const run = await explain(input, env());
      expect(run.stdout).toContain("BetterAuth's session cookie");
    }
    const json = await explain(JSON.stringify({ redirect: false, token: signIn.token, user: { id: "u" } }), env());
    expect(json.stdout).toContain("This is a BetterAuth session token");
  });

  test("the JWT from /api/auth/token, piped as its JSON answer, is accepted", async () => {
    const answer = await (await fetch(`${auth.authBaseURL}/token`, { headers: { cookie: signIn.cookie } })).text();
    const { token } = JSON.parse(answer) as { token: string };
    const run = await explain(answer, env());
    expect(run.stdout).not.toContain(token.split(".")[2]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('alg  "EdDSA"');
  });
});
