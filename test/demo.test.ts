import { expect, test } from "@jest/globals";
import { execFile } from "node:child_process";
import { promisify } from "node:util";

// `npm run demo` is the package's main job and the README's first command: it must keep exiting 0.
test("the demo runs every call and reports all outcomes as expected", async () => {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", "demo/demo.ts"], { timeout: 60_000 });
  expect(stdout).toContain("All outcomes as expected.");
  // A quiet run: not even ioserver's Fastify deprecation warning (FSTDEP022).
  expect(stderr).toBe("");
  expect(stdout).toMatch(/mallory \(disabled\)\s+\| 403 ERR_USER_DISABLED/);
}, 70_000);
