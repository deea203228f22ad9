import { expect, jest, test } from "@jest/globals";
import type { FastifyReply, FastifyRequest } from "fastify";
import { bindOidcMiddlewares } from "../../src/bindOidcMiddlewares.js";
import { createOidcContainer } from "../../src/container.js";
import { ERR_AUTH_TOKEN_INVALID, ERR_AUTH_TOKEN_REQUIRED, OidcError } from "../../src/errors.js";
import type { TokenVerifier } from "../../src/services/verification/JwksVerifier.js";
import { TOKENS } from "../../src/tokens.js";
import { captureLogger } from "../fixtures/doubles.js";

function middleware() {
  const verifier = {
    verify: jest.fn<TokenVerifier["verify"]>(async (token) =>
      token === "good.token.here" ? { sub: "alice", iss: "i", exp: 2_000_000_000 } : Promise.reject(new OidcError(ERR_AUTH_TOKEN_INVALID)),
    ),
  };
  const container = createOidcContainer();
  container.register(TOKENS.JwksVerifier, { useValue: verifier });
  container.register(TOKENS.Logger, { useValue: captureLogger().logger });
  const { OidcHttpMiddleware } = bindOidcMiddlewares(container);
  return { hook: new OidcHttpMiddleware().handle({}), verifier };
}

function fakeReply() {
  const sent = { status: 0, body: undefined as unknown, headers: {} as Record<string, string> };
  const reply = {
    header: (name: string, value: string) => ((sent.headers[name.toLowerCase()] = value), reply),
    code: (status: number) => ((sent.status = status), reply),
    send: (body: unknown) => ((sent.body = body), reply),
  };
  return { reply: reply as unknown as FastifyReply, sent };
}

const request = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } }) as FastifyRequest;

test("success: the hook returns nothing (Fastify continues) and the context is on the request", async () => {
  const { hook } = middleware();
  const { reply, sent } = fakeReply();
  const req = request("Bearer good.token.here");
  expect(await hook(req, reply)).toBeUndefined();
  expect(sent.status).toBe(0);
  expect(req).toMatchObject({ sub: "alice", userId: "alice", userRole: "user", roles: [], permissions: [], features: {} });
});

test("refusal: the hook answers with the error and returns the reply (Fastify stops)", async () => {
  const { hook } = middleware();
  const { reply, sent } = fakeReply();
  expect(await hook(request("Bearer bad.token.here"), reply)).toBe(reply);
  expect(sent.status).toBe(401);
  expect(sent.body).toMatchObject({ code: ERR_AUTH_TOKEN_INVALID });
});

test("a malformed header is refused before the verifier is asked", async () => {
  const { hook, verifier } = middleware();
  const { reply, sent } = fakeReply();
  await hook(request("Bearer two tokens"), reply);
  expect(sent.body).toMatchObject({ code: ERR_AUTH_TOKEN_INVALID });
  expect(verifier.verify).not.toHaveBeenCalled();
});

test("no header: ERR_AUTH_TOKEN_REQUIRED", async () => {
  const { hook } = middleware();
  const { reply, sent } = fakeReply();
  await hook(request(), reply);
  expect(sent.body).toMatchObject({ code: ERR_AUTH_TOKEN_REQUIRED, statusCode: 401 });
});
