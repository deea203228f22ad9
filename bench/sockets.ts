import { io } from "socket.io-client";

export interface HandshakeResult {
  /** Completed handshakes (connect received) per second. */
  rate: number;
  completed: number;
  refused: number;
}

/**
 * Opens Socket.IO connections (websocket transport only) to `url` from
 * `concurrency` loops until `durationMs` has passed: each loop connects,
 * waits for the namespace's `connect` (or `connect_error`), closes, and
 * starts again. Every handshake is bounded by a 5 s timeout.
 */
export async function measureHandshakes(url: string, token: string | undefined, concurrency: number, durationMs: number): Promise<HandshakeResult> {
  const started = performance.now();
  const deadline = started + durationMs;
  let completed = 0;
  let refused = 0;
  const handshake = () =>
    new Promise<boolean>((resolve) => {
      const socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false, timeout: 5000, auth: token === undefined ? {} : { token } });
      socket.once("connect", () => {
        socket.close();
        resolve(true);
      });
      socket.once("connect_error", () => {
        socket.close();
        resolve(false);
      });
    });
  const loop = async () => {
    while (performance.now() < deadline) {
      if (await handshake()) completed += 1;
      else refused += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { rate: completed / ((performance.now() - started) / 1000), completed, refused };
}
