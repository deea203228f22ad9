import { describe, expect, test } from "@jest/globals";
import { tokenExpiry } from "../../src/client/tokenExpiry.js";

const jwt = (payloadJson: string) => `e30.${Buffer.from(payloadJson).toString("base64url")}.sig`;

describe("tokenExpiry", () => {
  test("reads a finite numeric exp from the payload", () => {
    expect(tokenExpiry(jwt('{"sub":"a","exp":1700000000}'))).toBe(1700000000);
  });

  test.each([
    ["a non-JWT string (a session token)", "abc123"],
    ["a payload that is not base64url JSON", "a.%%%.c"],
    ["no exp", jwt('{"sub":"a"}')],
    ["a string exp", jwt('{"exp":"1700000000"}')],
    ["an exp JSON turns into Infinity", jwt('{"exp":1e400}')],
    ["a null payload", jwt("null")],
  ])("gives undefined for %s", (_label, token) => {
    expect(tokenExpiry(token)).toBeUndefined();
  });
});

describe("the ioserver-oidc/client entry", () => {
  test("imports nothing but its own files, the socket protocol constants and socket.io-client's types (no server code)", async () => {
    const { readdirSync, readFileSync } = await import("node:fs");
    const dir = new URL("../../src/client/", import.meta.url);
    const specifiers = readdirSync(dir)
      .flatMap((file) => [...readFileSync(new URL(file, dir), "utf8").matchAll(/^(?:import|export)\b[^;]*?from\s+"([^"]+)"/gms)].map((m) => m[1]))
      .filter((spec) => spec !== undefined && !spec.startsWith("./"));
    expect(new Set(specifiers)).toEqual(new Set(["socket.io-client", "../socketProtocol.js"]));
    expect(readFileSync(new URL("../socketProtocol.ts", dir), "utf8")).not.toMatch(/^import\s/m);
  });
});
