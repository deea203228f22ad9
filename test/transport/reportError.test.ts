import { expect, test } from "@jest/globals";
import type { FastifyReply } from "fastify";
import { ERR_AUTH_TOKEN_INVALID, ERR_AUTH_UNAVAILABLE, ERR_USER_DISABLED, OidcError } from "../../src/errors.js";
import { sendHttpError, toSocketError } from "../../src/transport/reportError.js";

/** Records what sendHttpError does to a Fastify reply. */
function fakeReply() {
  const sent = { headers: {} as Record<string, string>, status: 0, body: undefined as unknown };
  const reply = {
    header(name: string, value: string) {
      sent.headers[name.toLowerCase()] = value;
      return reply;
    },
    code(status: number) {
      sent.status = status;
      return reply;
    },
    send(body: unknown) {
      sent.body = body;
      return reply;
    },
  };
  return { reply: reply as unknown as FastifyReply, sent };
}

test("HTTP: status, body { statusCode, error, code, message }, challenge and no-store", () => {
  const { reply, sent } = fakeReply();
  sendHttpError(reply, new OidcError(ERR_AUTH_TOKEN_INVALID, { reason: "secret reason" }));
  expect(sent.status).toBe(401);
  expect(sent.body).toEqual({ statusCode: 401, error: "Unauthorized", code: ERR_AUTH_TOKEN_INVALID, message: "The access token is invalid or expired" });
  expect(sent.headers["www-authenticate"]).toContain('error="invalid_token"');
  expect(sent.headers["cache-control"]).toBe("no-store");
  expect(JSON.stringify(sent)).not.toContain("secret reason");
});

test("HTTP: Retry-After when the error carries one; no challenge where none belongs", () => {
  const { reply, sent } = fakeReply();
  sendHttpError(reply, new OidcError(ERR_AUTH_UNAVAILABLE, { retryAfter: 7 }));
  expect(sent.status).toBe(503);
  expect(sent.headers["retry-after"]).toBe("7");
  expect(sent.headers["www-authenticate"]).toBeUndefined();
});

test("Socket.IO: an Error whose message is the code and whose data is { code, statusCode, message }", () => {
  const error = toSocketError(new OidcError(ERR_USER_DISABLED, { reason: "secret reason" }));
  expect(error).toBeInstanceOf(Error);
  expect(error.message).toBe(ERR_USER_DISABLED);
  expect(error.data).toEqual({ code: ERR_USER_DISABLED, statusCode: 403, message: "This user account is disabled" });
  expect(JSON.stringify(error.data)).not.toContain("secret");
});
