import { expect, test } from "@jest/globals";
import { createOidcLogger } from "../../src/services/logger.js";

function logInto(level = "info") {
  const lines: string[] = [];
  return { logger: createOidcLogger({ write: (line: string) => void lines.push(line) }, level), lines };
}

test("structured records named ioserver-oidc", () => {
  const { logger, lines } = logInto();
  logger.info({ code: "ERR_X" }, "refused");
  expect(JSON.parse(lines[0] as string)).toMatchObject({ name: "ioserver-oidc", level: 30, code: "ERR_X", msg: "refused" });
});

test.each([
  ["token", { token: "eyJ.secret.sig" }],
  ["a nested token", { details: { token: "eyJ.secret.sig" } }],
  ["an authorization header", { authorization: "Bearer eyJ.secret.sig" }],
  ["request headers", { req: { headers: { authorization: "Bearer eyJ.secret.sig" } } }],
  ["a handshake's auth", { socket: { handshake: { auth: { token: "eyJ.secret.sig" } } } }],
])("redacts %s passed along by a caller", (_kind, record) => {
  const { logger, lines } = logInto();
  logger.warn(record, "something");
  expect(lines.join("")).not.toContain("secret");
  expect(lines.join("")).toContain("[redacted]");
});

test("honours the level", () => {
  const { logger, lines } = logInto("warn");
  logger.info("hidden");
  logger.warn("shown");
  expect(lines).toHaveLength(1);
});
