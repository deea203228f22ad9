import { afterAll, beforeAll, expect, test } from "@jest/globals";
import type { IOServer } from "ioserver";
import { TestIssuer, freePort } from "ioserver-oidc/testing";
import { start } from "../../examples/default-registration/app.js";
import { connectSocket, emitWithAck } from "../fixtures/app.js";

let issuer: TestIssuer;
let server: IOServer;
let url: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256", audience: "example-app" });
  // Refusals are expected here: keep them out of the test output.
  Object.assign(process.env, issuer.env({ AUTH_SERVICE_LOG_LEVEL: "warn" }));
  const port = await freePort();
  server = await start(port);
  url = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await server.stop();
  await issuer.close();
  process.env = savedEnv;
});

test("the profile route answers 401 without a token and the caller's context with one", async () => {
  const refused = await fetch(`${url}/profile`);
  expect(refused.status).toBe(401);
  expect(await refused.json()).toMatchObject({ code: "ERR_AUTH_TOKEN_REQUIRED" });

  const token = await issuer.mint({ sub: "alice", roles: ["editor", "admin"] });
  const accepted = await fetch(`${url}/profile`, { headers: { authorization: `Bearer ${token}` } });
  expect(accepted.status).toBe(200);
  expect(await accepted.json()).toEqual({ userId: "alice", userRole: "editor", roles: ["editor", "admin"] });
});

test("the chat namespace gives the service the caller's context", async () => {
  const token = await issuer.mint({ sub: "bob", permissions: ["chat:write"] });
  const outcome = await connectSocket(url, "/chat", { auth: { token } });
  expect(outcome.connected).toBe(true);
  expect(await emitWithAck(outcome.socket!, "whoami")).toEqual({ userId: "bob", permissions: ["chat:write"] });
  outcome.socket!.close();
});

test("the users namespace admits admins only", async () => {
  const member = await connectSocket(url, "/users", { auth: { token: await issuer.mint({ sub: "bob" }) } });
  expect(member).toMatchObject({ connected: false, error: { message: "ERR_FORBIDDEN" } });

  const admin = await connectSocket(url, "/users", { auth: { token: await issuer.mint({ sub: "alice", roles: ["admin"] }) } });
  expect(admin.connected).toBe(true);
  admin.socket!.close();
});
