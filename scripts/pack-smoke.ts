/**
 * Packs the package and installs the tarball into a fresh ESM TypeScript
 * consumer (strict tsc, NodeNext) together with ioserver, offline, from the
 * npm cache `npm ci` filled; compiles the consumer and runs it: a protected
 * route must answer 401 without a token and 200 with one.
 *
 * Usage: npm run test:pack   (add --keep to keep the temporary directory)
 *
 * Offline: `npm install --offline` cannot add packages from a cache that
 * only `npm ci` filled (npm ci caches abbreviated registry metadata, npm
 * install asks for the full documents), so the consumer gets a lockfile
 * derived from this repository's, and `npm ci --offline` needs nothing but
 * the tarballs and metadata `npm ci` already cached.
 */
import { execFileSync, type ExecFileSyncOptions } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TEMPLATE = fileURLToPath(new URL("./pack-smoke/consumer", import.meta.url));
/** What a user needs, and nothing else, may be in the tarball: these files and the build output. */
const TOP_LEVEL_FILES = ["package.json", "README.md", "LICENSE", "CHANGELOG.md", "routes/oidcBackchannelLogout.json"];
const REQUIRED_FILES = [
  ...TOP_LEVEL_FILES,
  "dist/index.js",
  "dist/index.d.ts",
  "dist/testing/index.js",
  "dist/testing/index.d.ts",
  "dist/client/index.js",
  "dist/client/index.d.ts",
  "dist/opentelemetry/index.js",
  "dist/opentelemetry/index.d.ts",
  "dist/redis/index.js",
  "dist/redis/index.d.ts",
  "dist/cli/main.js",
];
const isAllowedFile = (path: string): boolean =>
  TOP_LEVEL_FILES.includes(path) || (path.startsWith("dist/") && !/\.test\.|^dist\/(test|examples|scripts)\//.test(path));

interface LockEntry {
  version?: string;
  [field: string]: unknown;
}
interface Lockfile {
  name: string;
  version?: string;
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}
interface PackResult {
  filename: string;
  integrity: string;
  files: { path: string }[];
}

const started = Date.now();
const keep = process.argv.includes("--keep");
const work = mkdtempSync(join(tmpdir(), "ioserver-oidc-pack-"));
const consumer = join(work, "consumer");

function run(command: string, args: string[], cwd: string, timeoutMs: number): string {
  const options: ExecFileSyncOptions = { cwd, timeout: timeoutMs, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false" } };
  try {
    return execFileSync(command, args, options) as string;
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${failure.stdout ?? ""}${failure.stderr ?? failure.message}`, { cause: error });
  }
}

function step(name: string, work: () => void): void {
  const at = Date.now();
  work();
  console.log(`pack-smoke: ${name} (${((Date.now() - at) / 1000).toFixed(1)} s)`);
}

/** This repository's lockfile, re-rooted at the consumer: every version is one `npm ci` already cached. */
function consumerLockfile(tarball: PackResult, dependencies: Record<string, string>, devDependencies: Record<string, string>): Lockfile {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as Lockfile;
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Record<string, unknown>;
  const packages: Record<string, LockEntry> = {};
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === "") continue;
    // Dev-only here, but the consumer's own dependencies: the flags are recomputed from the new root.
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...rest } = entry;
    packages[path] = rest;
  }
  packages["node_modules/ioserver-oidc"] = {
    version: String(manifest.version),
    resolved: `file:../${tarball.filename}`,
    integrity: tarball.integrity,
    license: manifest.license,
    dependencies: manifest.dependencies,
    peerDependencies: manifest.peerDependencies,
    // Optional peers (socket.io-client, redis) stay uninstalled in the consumer, as for a real install.
    peerDependenciesMeta: manifest.peerDependenciesMeta,
    engines: manifest.engines,
    // npm ci links node_modules/.bin from the lockfile's entry.
    bin: manifest.bin,
  };
  packages[""] = { name: "pack-smoke-consumer", dependencies, devDependencies };
  return { name: "pack-smoke-consumer", lockfileVersion: lock.lockfileVersion, packages };
}

let succeeded = false;
try {
  let tarball!: PackResult;
  step("build", () => run("npm", ["run", "build", "--silent"], ROOT, 120_000));
  step("npm pack", () => {
    const packed = JSON.parse(run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], ROOT, 60_000)) as PackResult[];
    if (packed.length !== 1 || !packed[0]) throw new Error(`npm pack made ${packed.length} tarballs`);
    tarball = packed[0];
    const files = tarball.files.map((f) => f.path);
    const unexpected = files.filter((path) => !isAllowedFile(path));
    const missing = REQUIRED_FILES.filter((path) => !files.includes(path));
    if (unexpected.length > 0 || missing.length > 0) {
      throw new Error(`tarball content is wrong: unexpected ${JSON.stringify(unexpected)}, missing ${JSON.stringify(missing)}`);
    }
    console.log(`pack-smoke: ${tarball.filename}: ${files.length} files, only dist/, README.md, LICENSE, CHANGELOG.md, package.json, routes/oidcBackchannelLogout.json`);
  });

  step("install into a fresh consumer (npm ci --offline)", () => {
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as Lockfile;
    const locked = (name: string): string => {
      const version = lock.packages[`node_modules/${name}`]?.version;
      if (!version) throw new Error(`package-lock.json has no ${name}`);
      return version;
    };
    // @opentelemetry/api: the optional peer a host installs to use ioserver-oidc/opentelemetry.
    const dependencies = { "@opentelemetry/api": locked("@opentelemetry/api"), ioserver: locked("ioserver"), "ioserver-oidc": `file:../${tarball.filename}` };
    const devDependencies = { "@types/node": locked("@types/node"), typescript: locked("typescript") };
    cpSync(TEMPLATE, consumer, { recursive: true });
    // The repository's overrides too (light-my-request's cookie): the lockfile it derives from was resolved with them.
    const { overrides } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { overrides?: unknown };
    writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "pack-smoke-consumer", private: true, type: "module", dependencies, devDependencies, overrides }, null, 2));
    writeFileSync(join(consumer, "package-lock.json"), JSON.stringify(consumerLockfile(tarball, dependencies, devDependencies), null, 2));
    run("npm", ["ci", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], consumer, 120_000);
  });

  step("strict tsc (NodeNext)", () => run("node", [join(consumer, "node_modules/typescript/bin/tsc"), "-p", consumer], consumer, 120_000));

  step("bin: npx ioserver-oidc --help (shebang, executable, ESM)", () => {
    const usage = run(join(consumer, "node_modules/.bin/ioserver-oidc"), ["--help"], consumer, 30_000);
    if (!usage.includes("doctor") || !usage.includes("explain")) throw new Error(`ioserver-oidc --help printed no usage:\n${usage}`);
  });

  step("run: 401 without a token, 200 with one, the shipped logout route answers", () => {
    const output = run("node", ["dist/main.js"], consumer, 30_000).trim();
    console.log(`pack-smoke: consumer said ${output}`);
  });
  succeeded = true;
} finally {
  if (keep || !succeeded) console.log(`pack-smoke: consumer kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
  console.log(`pack-smoke: ${succeeded ? "OK" : "FAILED"} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
