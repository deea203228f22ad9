import { createServer, type Server } from "node:http";
import { connect as netConnect, type AddressInfo } from "node:net";
import type { DependencyContainer } from "tsyringe";
import { io, type Socket as ClientSocket } from "socket.io-client";
import {
  createOidcLogger,
  oidcReady,
  TOKENS,
  type BoundOidcClasses,
  type Clock,
  type RemoteKeySet,
} from "../../src/index.js";
import { createTestContainer, ManualClock, type TestIssuer } from "../../src/testing/index.js";
import { ChatService, ProfileController, startServer } from "../fixtures/app.js";

export { ManualClock };

/** Whole seconds since the epoch on `clock`, as token claims carry them. */
export const seconds = (clock: Clock): number => Math.floor(clock.now() / 1000);

/** Moves a manual clock by whole seconds (cache ages, cooldowns and claims are all in seconds). */
export const advanceSeconds = (clock: ManualClock, by: number): void => clock.advance(by * 1000);

export interface LogRecord {
  level: number;
  msg: string;
  code?: string;
  reason?: string;
  transport?: string;
  [key: string]: unknown;
}

/** Everything the package's pino logger writes, kept as text so it can be searched for secrets. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly stream = { write: (line: string) => void this.lines.push(line) };

  get text(): string {
    return this.lines.join("");
  }
  records(): LogRecord[] {
    return this.lines.map((line) => JSON.parse(line) as LogRecord);
  }
  refusals(): LogRecord[] {
    return this.records().filter((r) => r.msg === "authentication refused");
  }
  clear(): void {
    this.lines.length = 0;
  }
}

export const PINO_LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export interface ProtectedApp {
  url: string;
  container: DependencyContainer;
  classes: BoundOidcClasses;
  log: LogCapture;
  clock: ManualClock;
  /** The container's key set for the issuer's JWKS URI. */
  keySet(): RemoteKeySet;
  /** `oidcReady(container)`: what a host awaits before reporting healthy. */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real IOServer on loopback protecting `/profile` (HTTP) and `/chat`
 * (Socket.IO) with middlewares bound to a fresh container that trusts
 * `issuer`, logs at debug into a capture, and reads time from a manual clock.
 */
export async function startProtectedApp(
  issuer: TestIssuer,
  options: {
    env?: Record<string, string>;
    clock?: ManualClock;
    manager?: boolean;
    logLevel?: string;
    /** Extra bindings (e.g. a provisioner) made before IOServer builds the middlewares. */
    configure?: (container: DependencyContainer) => void;
  } = {},
): Promise<ProtectedApp> {
  const log = new LogCapture();
  const clock = options.clock ?? new ManualClock();
  const { container, ...classes } = createTestContainer({
    env: issuer.env(options.env),
    clock,
    logger: createOidcLogger(log.stream, options.logLevel ?? "debug"),
  });
  options.configure?.(container);
  const app = await startServer((server) => {
    if (options.manager !== false) server.addManager({ name: "oidcConfig", manager: classes.OidcConfigManager });
    server.addController({ name: "profile", controller: ProfileController, middlewares: [classes.OidcHttpMiddleware], prefix: "/profile" });
    server.addService({ name: "chat", service: ChatService, middlewares: [classes.OidcSocketMiddleware] });
  });
  return {
    url: app.url,
    container,
    classes,
    log,
    clock,
    keySet: () => container.resolve(TOKENS.KeySetRegistry).get(container.resolve(TOKENS.ConfigService).get()),
    ready: () => oidcReady(container),
    stop: app.stop,
  };
}

export interface HttpOutcome {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown> | undefined;
}

function parseBody(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** GET through fetch (undici): what ordinary clients send. */
export async function httpGet(url: string, headers: Record<string, string> = {}): Promise<HttpOutcome> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  return { status: res.status, headers: Object.fromEntries(res.headers), body: parseBody(await res.text()) };
}

/**
 * GET written byte for byte on a TCP socket, for what fetch refuses to
 * send: duplicated headers, CR/LF/NUL in a value, raw UTF-8.
 */
export function rawHttpGet(url: string, path: string, headerLines: string[]): Promise<HttpOutcome> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = netConnect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error("raw HTTP request timed out")), 5000);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("latin1");
      const [head = "", body = ""] = text.split("\r\n\r\n", 2);
      const [statusLine = "", ...lines] = head.split("\r\n");
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]),
      );
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body: parseBody(body) });
    });
    const request = [`GET ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, ...headerLines, "Connection: close", "", ""].join("\r\n");
    socket.write(Buffer.from(request, "utf8"));
  });
}

export interface SocketInput {
  auth?: unknown;
  /** Handshake headers; an array value sends the header once per element. */
  headers?: Record<string, string | string[]>;
  query?: Record<string, string>;
}

export interface SocketProbe {
  connected: boolean;
  error?: { message: string; data?: Record<string, unknown> };
  /** What `whoami` answered when connected. */
  context?: Record<string, unknown>;
}

/** Opens a Socket.IO connection, calls `whoami` if it connects, and always closes it. */
export async function socketProbe(url: string, namespace: string, input: SocketInput = {}): Promise<SocketProbe> {
  const socket: ClientSocket = io(`${url}${namespace}`, {
    transports: ["websocket"],
    auth: input.auth as Record<string, unknown> | undefined,
    extraHeaders: input.headers as Record<string, string> | undefined,
    query: input.query,
    reconnection: false,
    forceNew: true,
    timeout: 5000,
  });
  try {
    const outcome = await new Promise<SocketProbe>((resolve) => {
      socket.once("connect", () => resolve({ connected: true }));
      socket.once("connect_error", (err: Error & { data?: Record<string, unknown> }) =>
        resolve({ connected: false, error: { message: err.message, data: err.data } }),
      );
    });
    if (outcome.connected) outcome.context = (await socket.timeout(5000).emitWithAck("whoami", null)) as Record<string, unknown>;
    return outcome;
  } finally {
    socket.close();
  }
}

/**
 * A loopback HTTP server standing for an attacker's host: answers every
 * path with `body` and counts the requests, so a test can prove a header
 * (`jku`, `x5u`, a URL-shaped `kid`) never made the verifier call it.
 */
export class TrapServer {
  hits = 0;
  private constructor(private readonly server: Server) {}

  static async start(body: string): Promise<TrapServer> {
    const server = createServer((_req, res) => {
      trap.hits += 1;
      res.writeHead(200, { "content-type": "application/json" }).end(body);
    });
    const trap = new TrapServer(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    return trap;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
