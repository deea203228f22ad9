import { expect, test } from "@jest/globals";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describeWithRedis } from "./fixtures/describeWithRedis.js";

// `npm run demo` is the package's main job and the README's first command: it must keep exiting 0.
test("the demo runs every call and reports all outcomes as expected", async () => {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", "demo/demo.ts"], { timeout: 60_000 });
  expect(stdout).toContain("All outcomes as expected.");
  // A quiet run: not even ioserver's Fastify deprecation warning (FSTDEP022).
  expect(stderr).toBe("");
  expect(stdout).toMatch(/mallory \(disabled\)\s+\| 403 ERR_USER_DISABLED/);
}, 70_000);

describeWithRedis("npm run demo -- --cluster", () => {
  test("two node processes on a redis-server it starts: a back-channel logout of alice on A refuses and cuts her on both, bob is untouched", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "demo/demo.ts", "--cluster"], { timeout: 60_000 });
    expect(stdout).toContain("All outcomes as expected.");
    expect(stdout).toMatch(/alice \| B\s+\| 401 ERR_AUTH_TOKEN_INVALID \| cut \(auth:revoked, disconnect\)/);
    expect(stdout).toMatch(/bob\s+\| B\s+\| 200\s+\| connected/);
  }, 70_000);
});
