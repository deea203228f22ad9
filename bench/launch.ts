/**
 * Starts `bench/server.ts` in a child process (one server per kind, so each
 * runs on its own event loop) and talks to it over IPC.
 */
import { fork, type ChildProcess } from "node:child_process";
import { benchChild, freePort } from "./common.js";
import type { ServerKind } from "./server.js";

/** What a server answers to "memory": bytes, and its active `Timeout` handles. */
export interface ServerMemory {
  rss: number;
  heapUsed: number;
  timers: number;
}

export interface BenchServer {
  kind: string;
  url: string;
  /** Sends `message` and resolves with the server's answer (see the messages `bench/server.ts` answers). */
  ask<T>(message: string): Promise<T>;
  cpuMicros(): Promise<number>;
  /** The token cache's hit and miss counts so far (zeros for servers without one). */
  cacheStats(): Promise<{ hits: number; misses: number; shared: number }>;
  /** RSS, heap used (after a GC when started with `--expose-gc`) and active timers. */
  memory(): Promise<ServerMemory>;
  stop(): Promise<void>;
}

/** Starts `bench/server.ts` in a child process (`nodeFlags` for its node, e.g. `--expose-gc`) and waits for its "ready". */
export async function startServer(kind: ServerKind, env: Record<string, string>, label: string = kind, nodeFlags: string[] = []): Promise<BenchServer> {
  const port = await freePort();
  const { script, execArgv } = benchChild("server", nodeFlags);
  const child: ChildProcess = fork(script, [kind, String(port)], {
    execArgv,
    env: { ...process.env, ...env, AUTH_SERVICE_LOG_LEVEL: "warn" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${label} server exited with ${code} before it was ready`)));
    child.once("message", (message) => (message === "ready" ? resolve() : reject(new Error(`${label}: unexpected ${String(message)}`))));
  });
  const ask = <T>(message: string) =>
    new Promise<T>((resolve, reject) => {
      const exited = (code: number | null) => reject(new Error(`${label} server exited with ${code}`));
      child.once("exit", exited);
      child.once("message", (answer) => {
        child.off("exit", exited);
        resolve(answer as T);
      });
      child.send(message);
    });
  return {
    kind: label,
    url: `http://127.0.0.1:${port}`,
    ask,
    cpuMicros: async () => (await ask<{ cpuMicros: number }>("cpu")).cpuMicros,
    cacheStats: () => ask("stats"),
    memory: () => ask("memory"),
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
