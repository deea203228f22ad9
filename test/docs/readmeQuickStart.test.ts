import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { io } from "socket.io-client";
import { freePort } from "../../src/testing/freePort.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";

/**
 * README's Quick start, run as a new user would: its files (each block after `<!-- quickstart: <path> -->`) are
 * written to an empty project, type-checked by tsc, started with tsx from that project's directory (so IOServer finds
 * `routes/` where README says), configured only by the AUTH_SERVICE_* variables, and called over HTTP and Socket.IO
 * with a real issuer's tokens. `ioserver-oidc` resolves to this repository's source, as in the examples.
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const FILES = [...README.matchAll(/<!-- quickstart: (\S+) -->\n```\w+\n([\s\S]*?)\n```/g)].map(([, path, code]) => ({ path: path!, code: code! }));

let project: string;
let issuer: TestIssuer;
let child: ChildProcess | undefined;
let url: string;

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), "ioserver-oidc-quickstart-"));
  for (const { path, code } of FILES) {
    mkdirSync(dirname(join(project, path)), { recursive: true });
    writeFileSync(join(project, path), `${code}\n`);
  }
  writeFileSync(join(project, "package.json"), JSON.stringify({ type: "module" }));
  // The user's `npm install ioserver-oidc ioserver`: this repository's dependencies, and the package as its source.
  symlinkSync(join(ROOT, "node_modules"), join(project, "node_modules"), "dir");
  const tsconfig = JSON.parse(readFileSync(join(ROOT, "tsconfig.json"), "utf8").replace(/^\s*\/\/.*$/gm, "")) as { compilerOptions: Record<string, unknown> };
  writeFileSync(join(project, "tsconfig.json"), JSON.stringify({
    compilerOptions: { ...tsconfig.compilerOptions, types: ["node"], paths: { "ioserver-oidc": [join(ROOT, "src/index.ts")] } },
    // tsx compiles a file with this tsconfig only if it includes it: the package's source needs its decorator setting.
    include: ["server.ts", join(ROOT, "src")],
  }));
  issuer = await TestIssuer.start({ alg: "ES256", audience: "my-app" });
  url = `http://127.0.0.1:${await freePort()}`;
}, 30_000);

afterAll(async () => {
  child?.kill();
  await issuer?.close();
  rmSync(project, { recursive: true, force: true });
});

test("README's Quick start has its server and its routes file", () => {
  expect(FILES.map((f) => f.path).sort()).toEqual(["routes/profile.json", "server.ts"]);
});

test("the Quick start compiles under the package's strict settings", async () => {
  await promisify(execFile)(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json", "--noEmit"], { cwd: project, timeout: 90_000 });
}, 100_000);

test("run as written, it answers 401 without a token and 200 with one, over HTTP and Socket.IO", async () => {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("AUTH_SERVICE_")));
  const started = spawn(process.execPath, ["--import", "tsx", "server.ts"], {
    cwd: project,
    env: { ...env, ...issuer.env(), PORT: new URL(url).port },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = started;
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the Quick start did not start within 45 s:\n${output}`)), 45_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`Listening on ${url}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    started.stdout.on("data", read);
    started.stderr.on("data", read);
    started.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the Quick start exited (${code}):\n${output}`));
    });
  });

  const refused = await fetch(`${url}/profile`);
  expect(refused.status).toBe(401);
  expect(await refused.json()).toMatchObject({ code: "ERR_AUTH_TOKEN_REQUIRED" });

  const token = await issuer.mint({ sub: "ada", roles: ["admin"], email: "ada@example.com" });
  const accepted = await fetch(`${url}/profile`, { headers: { authorization: `Bearer ${token}` } });
  expect(accepted.status).toBe(200);
  expect(await accepted.json()).toEqual({ userId: "ada", roles: ["admin"], email: "ada@example.com" });

  const socket = io(`${url}/chat`, { auth: { token }, transports: ["websocket"], reconnection: false, timeout: 5_000 });
  try {
    expect(await socket.timeout(5_000).emitWithAck("whoami", null)).toEqual({ userId: "ada" });
  } finally {
    socket.close();
  }
  const anonymous = io(`${url}/chat`, { transports: ["websocket"], reconnection: false, timeout: 5_000 });
  const refusal = await new Promise<Error>((resolve) => anonymous.once("connect_error", resolve));
  anonymous.close();
  expect(refusal.message).toBe("ERR_AUTH_TOKEN_REQUIRED");
}, 60_000);
