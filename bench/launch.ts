/**
 * Starts `bench/server.ts` in a child process (one server per kind, so each
 * runs on its own event loop) and talks to it over IPC.
 */
import { fork, type ChildProcess } from "node:child_process";
import { benchChild, freePort } from "./common.js";
import type { ServerKind } from "./server.js";

export interface BenchServer {
  kind: string;
  url: string;
  cpuMicros(): Promise<number>;
  /** The token cache's hit and miss counts so far (zeros for servers without one). */
  cacheStats(): Promise<{ hits: number; misses: number; shared: number }>;
  stop(): Promise<void>;
}

/** Starts `bench/server.ts` in a child process and waits for its "ready". */
export async function startServer(kind: ServerKind, env: Record<string, string>, label: string = kind): Promise<BenchServer> {
  const port = await freePort();
  const { script, execArgv } = benchChild("server");
  const child: ChildProcess = fork(script, [kind, String(port)], {
    execArgv,
    env: { ...process.env, ...env, AUTH_SERVICE_LOG_LEVEL: "warn" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${label} server exited with ${code} before it was ready`)));
    child.once("message", (message) => (message === "ready" ? resolve() : reject(new Error(`${label}: unexpected ${String(message)}`))));
  });
  return {
    kind: label,
    url: `http://127.0.0.1:${port}`,
    cpuMicros: () =>
      new Promise((resolve) => {
        child.once("message", (message) => resolve((message as { cpuMicros: number }).cpuMicros));
        child.send("cpu");
      }),
    cacheStats: () =>
      new Promise((resolve) => {
        child.once("message", (message) => resolve(message as { hits: number; misses: number; shared: number }));
        child.send("stats");
      }),
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
