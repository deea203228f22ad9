import { expect, test } from "@jest/globals";
import { readTokenInput } from "../../src/cli/tokenInput.js";

const JWT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
const SESSION = "Ab3dEfGhIjKlMnOpQrStUvWxYz012345";
const SIGNED = `${SESSION}.${"A".repeat(42)}+=`;

test("wrappers a user pastes along are taken off", () => {
  for (const input of [JWT, ` ${JWT}\n`, `Bearer ${JWT}`, `authorization: bearer ${JWT}`, `"${JWT}"`, JSON.stringify({ token: JWT }), JSON.stringify({ access_token: JWT, token_type: "Bearer" })]) {
    expect(readTokenInput(input)).toEqual({ kind: "candidate", token: JWT });
  }
});

test("BetterAuth session tokens and cookie values are recognised", () => {
  expect(readTokenInput(SESSION)).toEqual({ kind: "session-token", form: "token" });
  expect(readTokenInput(SIGNED)).toEqual({ kind: "session-token", form: "cookie" });
  expect(readTokenInput(encodeURIComponent(SIGNED))).toEqual({ kind: "session-token", form: "cookie" });
  expect(readTokenInput(`better-auth.session_token=${encodeURIComponent(SIGNED)}`)).toEqual({ kind: "session-token", form: "cookie" });
  expect(readTokenInput(JSON.stringify({ redirect: false, token: SESSION }))).toEqual({ kind: "session-token", form: "token" });
});

test("nothing is empty", () => {
  expect(readTokenInput(" \n")).toEqual({ kind: "empty" });
  expect(readTokenInput("Bearer ")).toEqual({ kind: "empty" });
});
