#!/usr/bin/env node
// tsyringe (behind the key set registry) needs the Reflect metadata polyfill before any decorated class loads.
import "reflect-metadata";
import { parseArgs } from "node:util";
import { doctor } from "./doctor.js";
import { loadEnvironment, type CliEnvironment } from "./environment.js";
import { explain, EXIT_USAGE } from "./explain.js";

const USAGE = `Usage: npx ioserver-oidc <command> [--env-file PATH]

Commands:
  doctor    Check the AUTH_SERVICE_* settings, the issuer's discovery document and its JWKS;
            exit 1 when something will refuse tokens.
  explain   Read one token from standard input and show every verification rule it passes or
            fails, with the fix; exit 0 when it would be accepted, 1 when refused.
            The token is read from standard input only, so it stays out of your shell history:
              pbpaste | npx ioserver-oidc explain
              npx ioserver-oidc explain < token.txt

Options:
  --env-file PATH   Also read variables from this .env file (the environment wins, as with node --env-file).
  -h, --help        This text.
`;

/** A token sent to explain: at most this much is read (real ones are a few KiB). */
const MAX_INPUT_BYTES = 1024 * 1024;

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write("Paste the token, then press Enter and Ctrl-D:\n");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_INPUT_BYTES) throw new Error(`standard input is larger than ${MAX_INPUT_BYTES} bytes: that is no token`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { "env-file": { type: "string" }, help: { type: "boolean", short: "h" } } });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help || command === undefined || command === "help") {
    process.stdout.write(USAGE);
    return parsed.values.help || command === "help" ? 0 : EXIT_USAGE;
  }
  if (command !== "doctor" && command !== "explain") {
    process.stderr.write(`Unknown command ${JSON.stringify(command)}.\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  // Never echo these: for explain, an argument is most likely the token itself.
  if (rest.length > 0) {
    process.stderr.write(
      command === "explain"
        ? "explain takes no arguments: it reads the token from standard input, so the token stays out of your shell history and process list.\n  pbpaste | npx ioserver-oidc explain\n"
        : `doctor takes no arguments.\n\n${USAGE}`,
    );
    return EXIT_USAGE;
  }
  let environment: CliEnvironment;
  try {
    environment = loadEnvironment(process.env, parsed.values["env-file"]);
  } catch (error) {
    process.stderr.write(`Cannot read --env-file: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  const print = (line: string): void => void process.stdout.write(`${line}\n`);
  if (command === "doctor") return doctor(environment, print);
  return explain(await readStdin(), environment, print);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`ioserver-oidc: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT_USAGE;
  },
);
