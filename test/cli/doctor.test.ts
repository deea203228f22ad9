/**
 * `ioserver-oidc doctor` as a user runs it: its own process, against a real
 * JWKS on 127.0.0.1; what it prints and its exit status.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { exportJWK, generateKeyPair } from "jose";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { freePort } from "../../src/testing/freePort.js";
import { runCli } from "./runCli.js";

let issuer: TestIssuer;
let work: string;
beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256", audience: "my-app" });
  work = mkdtempSync(join(tmpdir(), "ioserver-oidc-doctor-"));
});
afterAll(async () => {
  await issuer.close();
  rmSync(work, { recursive: true, force: true });
});

/** A settings table row: variable, value, source. */
const row = (variable: string, value: string, source: string) => new RegExp(`^  ${variable} +${value.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} +${source}$`, "m");

describe("a healthy setup", () => {
  test("prints each setting with its source, the JWKS and its keys, and exits 0", async () => {
    const run = await runCli(["doctor"], { env: { AUTH_SERVICE_URL: issuer.url, AUTH_SERVICE_APP_SLUG: "my-app" } });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(row("AUTH_SERVICE_URL", issuer.url, "env"));
    expect(run.stdout).toMatch(row("AUTH_SERVICE_JWKS_URI", issuer.jwksUri, "derived from AUTH_SERVICE_URL \\+ /api/auth/jwks"));
    expect(run.stdout).toMatch(row("AUTH_SERVICE_ISSUER", issuer.url, "derived from AUTH_SERVICE_URL"));
    expect(run.stdout).toMatch(row("AUTH_SERVICE_AUDIENCE", "my-app", "derived from AUTH_SERVICE_APP_SLUG"));
    expect(run.stdout).toMatch(row("AUTH_SERVICE_CLOCK_TOLERANCE", "5", "default"));
    expect(run.stdout).toContain(`JWKS of ${issuer.issuer}: GET ${issuer.jwksUri}`);
    expect(run.stdout).toMatch(/200 in \d+ ms, 1 key/);
    expect(run.stdout).toMatch(new RegExp(`"${issuer.kids[0]}"\\s+EC\\s+ES256\\s+P-256\\s+sig\\s+ES256`));
    // Discovery off: tried for information only, never a problem.
    expect(run.stdout).toContain(`Discovery of ${issuer.url} (for information`);
    expect(run.stdout).not.toContain("[problem]");
    expect(run.stdout).toContain("No problem found");
  });

  test("--env-file: values from the file, the environment winning over it, each with its source", async () => {
    const file = join(work, "app.env");
    writeFileSync(file, `# the app's settings\nAUTH_SERVICE_URL=http://127.0.0.1:1\nAUTH_SERVICE_APP_SLUG="my-app"\nexport AUTH_SERVICE_CLOCK_TOLERANCE=10\n`);
    const run = await runCli(["doctor", "--env-file", file], { env: { AUTH_SERVICE_URL: issuer.url } });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(row("AUTH_SERVICE_URL", issuer.url, "env"));
    expect(run.stdout).toMatch(row("AUTH_SERVICE_APP_SLUG", "my-app", `env file ${file}`));
    expect(run.stdout).toMatch(row("AUTH_SERVICE_CLOCK_TOLERANCE", "10", `env file ${file}`));
  });

  test("a missing --env-file stops it with an error naming the file", async () => {
    const run = await runCli(["doctor", "--env-file", join(work, "missing.env")]);
    // Node 20 and 22 check a script's own --env-file argument themselves (nodejs/node#54232) and exit 9 first; else ours, 2.
    expect([2, 9]).toContain(run.code);
    expect(run.stderr).toContain(join(work, "missing.env"));
    expect(run.stdout).toBe("");
  });
});

describe("what will refuse tokens: a [problem] and exit 1", () => {
  test("an algorithm list that excludes every published key", async () => {
    const run = await runCli(["doctor"], { env: { ...issuer.env(), AUTH_SERVICE_ALGORITHMS: "RS256,PS256" } });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("[problem] AUTH_SERVICE_ALGORITHMS (RS256,PS256) excludes every published key (ES256): every token will be refused");
    expect(run.stdout).toMatch(/ES256\s+P-256\s+sig\s+nothing allowed/);
  });

  test("a JWKS nobody answers", async () => {
    const port = await freePort();
    const run = await runCli(["doctor"], { env: { AUTH_SERVICE_URL: `http://127.0.0.1:${port}`, AUTH_SERVICE_APP_SLUG: "my-app" } });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("[problem] the JWKS cannot be fetched: request failed: ECONNREFUSED");
  });

  test("a JWKS URI that answers 404, with the hint for AUTH_SERVICE_URL ending in /api/auth", async () => {
    const run = await runCli(["doctor"], { env: { AUTH_SERVICE_URL: `${issuer.url}/api/auth`, AUTH_SERVICE_APP_SLUG: "my-app" } });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`GET ${issuer.url}/api/auth/api/auth/jwks`);
    expect(run.stdout).toContain("[problem] the JWKS cannot be fetched: HTTP 404");
    expect(run.stdout).toContain("[warning] AUTH_SERVICE_URL ends with /api/auth");
  });

  test("invalid settings: the variable named, exit 1", async () => {
    const run = await runCli(["doctor"], { env: { AUTH_SERVICE_APP_SLUG: "my-app", AUTH_SERVICE_CLOCK_TOLERANCE: "soon" } });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/AUTH_SERVICE_APP_SLUG\s+"my-app"\s+env/);
    expect(run.stdout).toContain("[problem] Invalid OIDC configuration: AUTH_SERVICE_CLOCK_TOLERANCE must be a number of seconds");
  });

  test("AUTH_SERVICE_DISCOVERY=true with an issuer that publishes no discovery document", async () => {
    const run = await runCli(["doctor"], { env: { AUTH_SERVICE_URL: issuer.url, AUTH_SERVICE_APP_SLUG: "my-app", AUTH_SERVICE_ISSUER: `${issuer.url}/elsewhere`, AUTH_SERVICE_DISCOVERY: "true" } });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`[problem] discovery of "${issuer.url}/elsewhere" failed: `);
    expect(run.stdout).toContain("HTTP 404");
  });

  test("AUTH_SERVICE_DISCOVERY=true: the JWKS URI comes from the issuer's document, and its keys are listed", async () => {
    const run = await runCli(["doctor"], { env: { AUTH_SERVICE_URL: issuer.url, AUTH_SERVICE_APP_SLUG: "my-app", AUTH_SERVICE_DISCOVERY: "true" } });
    expect(run.stdout).toContain(`[ok] discovery: the document names AUTH_SERVICE_ISSUER and its jwks_uri "${issuer.jwksUri}"`);
    expect(run.stdout).toContain(`JWKS of ${issuer.issuer}: GET ${issuer.jwksUri}`);
    expect(run.code).toBe(0);
  });
});

describe("warnings: exit 0, but said", () => {
  test("issuer form, a typo'd variable, keys without kid, a private key, a short RSA key", async () => {
    // jose refuses to make an RSA key this short; node:crypto does not.
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const ec = await generateKeyPair("ES256", { extractable: true });
    const short = { ...rsa.publicKey.export({ format: "jwk" }), kid: "short", alg: "RS256" };
    const noKid = { ...(await exportJWK(ec.publicKey)), alg: "ES256" };
    const privateJwk = { ...(await exportJWK(ec.privateKey)), kid: "oops", alg: "ES256" };
    const jwks = await TestIssuer.start();
    try {
      jwks.setBehaviour({ kind: "body", body: JSON.stringify({ keys: [short, noKid, privateJwk] }) });
      const run = await runCli(["doctor"], {
        env: { AUTH_SERVICE_URL: jwks.url, AUTH_SERVICE_APP_SLUG: "my-app", AUTH_SERVICE_ISSUER: `http://localhost:${new URL(jwks.url).port}/`, AUTH_SERVICE_AUDIANCE: "typo" },
      });
      expect(run.stdout).toContain("[warning] AUTH_SERVICE_AUDIANCE is set but ioserver-oidc reads no such variable (a typo?)");
      expect(run.stdout).toContain('[warning] AUTH_SERVICE_ISSUER "http://localhost:');
      expect(run.stdout).toContain("ends with \"/\": iss is compared exactly");
      expect(run.stdout).toContain("[warning] AUTH_SERVICE_ISSUER names localhost, AUTH_SERVICE_URL 127.0.0.1");
      expect(run.stdout).toContain('[warning] key "short" is ignored: RSA modulus shorter than 2048 bits');
      expect(run.stdout).toContain("[warning] 1 key without kid");
      // A published private key is a problem of its own.
      expect(run.stdout).toContain('[problem] key "oops" is ignored: a PRIVATE key');
      expect(run.stdout).toMatch(/\(none\)\s+EC\s+ES256\s+P-256\s+-\s+ES256/);
      expect(run.code).toBe(1);
    } finally {
      await jwks.close();
    }
  });
});
