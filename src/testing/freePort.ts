import { createServer } from "node:net";

/**
 * A TCP port that was free on 127.0.0.1 a moment ago. IOServer refuses
 * port 0, so a test asks the OS for a free port first and passes it on.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error("freePort: the OS gave no port"))));
    });
  });
}
