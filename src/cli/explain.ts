import pino from "pino";
import { readOidcConfigFromEnv, type ResolvedOidcConfig } from "../config.js";
import { systemClock } from "../services/Clock.js";
import { KeySetRegistry } from "../services/keys/KeySetRegistry.js";
import { issuerView, trustedIssuers, unverifiedIssuer } from "../services/keys/trustedIssuers.js";
import { decodeHeader, decodePayload, isRuleFailure } from "../services/verification/rules.js";
import type { CliEnvironment } from "./environment.js";
import { evaluateToken } from "./evaluateToken.js";
import { fixFor } from "./fixes.js";
import { plural, show, showTime, table } from "./format.js";
import { readTokenInput, sessionTokenAdvice } from "./tokenInput.js";

export const EXIT_ACCEPTED = 0;
export const EXIT_REFUSED = 1;
export const EXIT_USAGE = 2;

const SHOWN_HEADER = ["alg", "kid", "typ", "cty"] as const;
const SHOWN_CLAIMS = ["iss", "aud", "sub", "azp", "client_id", "scope"] as const;
const SHOWN_TIMES = ["exp", "nbf", "iat"] as const;
const STATUS = { pass: "pass", fail: "FAIL", skip: "skip" } as const;

/**
 * `ioserver-oidc explain`: decodes the token read from standard input
 * without trusting it, runs every rule of the verifier on it with the
 * current settings, and prints each rule's outcome and, for each failure,
 * what to change. Prints header fields and registered claims, never the
 * token or its signature. Exit 0 when the verifier would accept it, 1 when
 * it would refuse it, 2 when there is no token.
 */
export async function explain(input: string, environment: CliEnvironment, print: (line: string) => void): Promise<number> {
  const read = readTokenInput(input);
  if (read.kind === "empty") {
    print("No token on standard input. Usage: pbpaste | npx ioserver-oidc explain   (or: npx ioserver-oidc explain < token.txt)");
    return EXIT_USAGE;
  }
  if (read.kind === "session-token") {
    for (const line of sessionTokenAdvice(read.form, environment.env.AUTH_SERVICE_URL)) print(line);
    return EXIT_REFUSED;
  }
  const token = read.token;
  const nowMs = systemClock.now();
  printToken(token, nowMs, print);

  let config: ResolvedOidcConfig;
  try {
    config = readOidcConfigFromEnv(environment.env);
  } catch (error) {
    print("");
    print(`The settings are invalid, so every request is refused with 500 ERR_AUTH_MISCONFIGURED: ${(error as Error).message}`);
    print("Run `npx ioserver-oidc doctor` for the whole picture.");
    return EXIT_REFUSED;
  }
  // With several trusted issuers, the one the token names (as the verifier picks it), else the primary one.
  const views = trustedIssuers(config);
  const view = (views.length > 1 ? issuerView(config, unverifiedIssuer(token.split(".")[1] ?? "").iss) : undefined) ?? config;
  // The verifier's own key sets (discovery, fetch, timeout, key selection), with nothing logged.
  const registry = new KeySetRegistry(systemClock, pino({ level: "silent" }));
  const { outcomes, payload } = await evaluateToken(token, view, () => registry.keySetFor(view), nowMs);
  const genuine = outcomes.some((o) => o.rule === "signature" && o.status === "pass");
  const unavailable = outcomes.some((o) => o.unavailable === true);

  print("");
  print(`Rules, in the order the verifier applies them (settings from ${environment.envFile ? `the environment and ${environment.envFile}` : "the environment"}):`);
  const rows: string[][] = [];
  for (const outcome of outcomes) {
    rows.push([STATUS[outcome.status], outcome.rule, outcome.requires]);
    if (outcome.failure) rows.push(["", "", `-> ${fixFor(outcome.failure, { config: view, environment, payload, nowMs, genuine, unavailable })}`]);
    else if (outcome.note && outcome.status === "skip") rows.push(["", "", `(${outcome.note})`]);
  }
  print(table(rows));
  print("");

  const failed = outcomes.filter((o) => o.status === "fail");
  const first = failed[0];
  if (first === undefined) {
    print("Verdict: accepted. The verifier takes this token with these settings (the user provisioner may still refuse a disabled account).");
    return EXIT_ACCEPTED;
  }
  const answer = unavailable && first.rule === "key" ? "503 ERR_AUTH_UNAVAILABLE" : "401 ERR_AUTH_TOKEN_INVALID";
  print(`Verdict: refused with ${answer}; ${plural(failed.length, "rule")} ${failed.length === 1 ? "fails" : "fail"}.`);
  // Where to find it in the server's log (see logRefusal in AuthPipeline.ts).
  const level = first.failure?.kind === "settings" ? "warn (the server's settings refuse a genuine token)" : "debug";
  print(`The server logs the first one at ${level}: "authentication refused", rule ${show(first.rule)}, reason ${show(first.failure?.reason)}.`);
  if (!genuine && failed.length > 1) print("Rules after a failed signature ran on an untrusted token, to help find the cause only.");
  return EXIT_REFUSED;
}

/** The header fields and registered claims that explain the rules; nothing else of the token. */
function printToken(token: string, nowMs: number, print: (line: string) => void): void {
  print("Token, decoded without trusting it (the token itself and its signature are not shown):");
  const rows: string[][] = [];
  const header = decodeHeader(token);
  if (isRuleFailure(header)) rows.push(["header", "(does not decode)"]);
  else for (const name of SHOWN_HEADER) if (header[name] !== undefined) rows.push([name, show(header[name])]);
  const payload = decodePayload(token);
  if (isRuleFailure(payload)) rows.push(["claims", "(do not decode)"]);
  else {
    for (const name of SHOWN_CLAIMS) if (payload[name] !== undefined) rows.push([name, show(payload[name])]);
    for (const name of SHOWN_TIMES) if (payload[name] !== undefined) rows.push([name, showTime(payload[name], nowMs)]);
  }
  print(table(rows));
}
