import { expect, test } from "@jest/globals";
import { execFile } from "node:child_process";
import { promisify } from "node:util";

// In a process of its own: Node prints warnings to stderr from its own listener, which is what the filter must stop.
test("exactly ioserver's FSTDEP022 is dropped; every other warning still reaches stderr", async () => {
  const script = [
    'await import("./scripts/ioserverWarning.ts");',
    'process.emitWarning("The router options for ignoreTrailingSlash property access is deprecated.", "FastifyWarning", "FSTDEP022");',
    'process.emitWarning("dropped too, options form", { type: "FastifyWarning", code: "FSTDEP022" });',
    'process.emitWarning("another Fastify warning", "FastifyWarning", "FSTDEP023");',
    'process.emitWarning("a warning without a code");',
  ].join("\n");
  const { stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { timeout: 30_000 });
  expect(stderr).not.toContain("FSTDEP022");
  expect(stderr).not.toContain("dropped too");
  expect(stderr).toContain("[FSTDEP023] FastifyWarning: another Fastify warning");
  expect(stderr).toContain("Warning: a warning without a code");
});
