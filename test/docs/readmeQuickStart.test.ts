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
import { startBetterAuthServer, type BetterAuthServer } from "../interop/betterAuthServer.js";

/**
 * README's Quick start, run as a new user would: its files (each block after `<!-- quickstart: <path> -->`) are
 * written to an empty project, type-checked by tsc, started with tsx from that project's directory (so IOServer finds
 * `routes/` where README says), configured only by the AUTH_SERVICE_* variables, and called over HTTP and Socket.IO
 * with a real issuer's tokens, then with a JWT got from a real BetterAuth server the way README's "With BetterAuth"
 * says. `ioserver-oidc` resolves to this repository's source, as in the examples.
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const blocks = (marker: string) =>
  [...README.matchAll(new RegExp(`<!-- ${marker}: (\\S+) -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\\n\`\`\``, "g"))].map(([, path, code]) => ({ path: path!, code: code! }));
const FILES = blocks("quickstart");
/** README code that runs elsewhere (the BetterAuth server's config): type-checked with the Quick start. */
const ALSO_COMPILED = blocks("compiles");

let project: string;
let issuer: TestIssuer;
let betterAuth: BetterAuthServer;
const children: ChildProcess[] = [];

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), "ioserver-oidc-quickstart-"));
  for (const { path, code } of [...FILES, ...ALSO_COMPILED]) {
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
    include: ["server.ts", ...ALSO_COMPILED.map((f) => f.path), join(ROOT, "src")],
  }));
  issuer = await TestIssuer.start({ alg: "ES256", audience: "my-app" });
  // README's jwt plugin settings: baseURL (its own), audience "my-app", a payload of email and name.
  betterAuth = await startBetterAuthServer({ audience: "my-app", claims: () => ({}) });
}, 30_000);

afterAll(async () => {
  for (const child of children) child.kill();
  await issuer?.close();
  await betterAuth?.close();
  rmSync(project, { recursive: true, force: true });
});

test("README's Quick start has its server and its routes file, and its BetterAuth config is checked too", () => {
  expect(FILES.map((f) => f.path).sort()).toEqual(["routes/profile.json", "server.ts"]);
  expect(ALSO_COMPILED.map((f) => f.path)).toEqual(["auth.ts"]);
});

test("the Quick start and the BetterAuth config compile under the package's strict settings", async () => {
  await promisify(execFile)(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json", "--noEmit"], { cwd: project, timeout: 90_000 });
}, 100_000);

/** Starts the Quick start from its project directory with `env` as its AUTH_SERVICE_* settings; resolves to its URL once it says it listens. */
async function startQuickStart(settings: Record<string, string>): Promise<string> {
  const url = `http://127.0.0.1:${await freePort()}`;
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("AUTH_SERVICE_")));
  const started = spawn(process.execPath, ["--import", "tsx", "server.ts"], {
    cwd: project,
    env: { ...env, ...settings, PORT: new URL(url).port },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(started);
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
  return url;
}

const profile = (url: string, token?: string) => fetch(`${url}/profile`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

test("run as written, it answers 401 without a token and 200 with one, over HTTP and Socket.IO", async () => {
  const url = await startQuickStart(issuer.env());
  const refused = await profile(url);
  expect(refused.status).toBe(401);
  expect(await refused.json()).toMatchObject({ code: "ERR_AUTH_TOKEN_REQUIRED" });

  const token = await issuer.mint({ sub: "ada", roles: ["admin"], email: "ada@example.com" });
  const accepted = await profile(url, token);
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

test("with BetterAuth as README says: its sign-in token is refused, the JWT of /api/auth/token gets a 200", async () => {
  // README's two variables: the auth server's URL and the app's slug, nothing else.
  const url = await startQuickStart({ AUTH_SERVICE_URL: betterAuth.baseURL, AUTH_SERVICE_APP_SLUG: "my-app" });
  const { userId } = await betterAuth.signUp("ada@example.com", "correct-horse-battery", "Ada");

  // 1. Sign in (curl -c jar -H "Origin: …" -d '{"email":…,"password":…}' …/api/auth/sign-in/email).
  const signIn = await fetch(`${betterAuth.baseURL}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: betterAuth.baseURL },
    body: JSON.stringify({ email: "ada@example.com", password: "correct-horse-battery" }),
  });
  expect(signIn.status).toBe(200);
  const { token: sessionToken } = (await signIn.json()) as { token: string };
  const cookie = signIn.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const wrongToken = await profile(url, sessionToken);
  expect(wrongToken.status).toBe(401);
  expect(await wrongToken.json()).toMatchObject({ code: "ERR_AUTH_TOKEN_INVALID" });

  // 2. The JWT (curl -b jar …/api/auth/token | jq -r .token).
  const tokenAnswer = await fetch(`${betterAuth.baseURL}/api/auth/token`, { headers: { cookie } });
  const { token } = (await tokenAnswer.json()) as { token: string };
  const accepted = await profile(url, token);
  expect(accepted.status).toBe(200);
  expect(await accepted.json()).toEqual({ userId, roles: [], email: "ada@example.com" });
}, 60_000);
