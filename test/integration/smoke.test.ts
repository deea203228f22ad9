import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { OidcHttpMiddleware, OidcSocketMiddleware, OidcSocketAdminMiddleware, OidcConfigManager } from "../../src/index.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { ChatService, ProfileController, connectSocket, emitWithAck, startServer } from "../fixtures/app.js";

let issuer: TestIssuer;
let app: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "EdDSA" });
  Object.assign(process.env, issuer.env());
  app = await startServer((server) => {
    server.addManager({ name: "oidcConfig", manager: OidcConfigManager });
    server.addController({ name: "profile", controller: ProfileController, middlewares: [OidcHttpMiddleware], prefix: "/profile" });
    server.addService({ name: "chat", service: ChatService, middlewares: [OidcSocketMiddleware] });
    server.addService({ name: "admin", service: ChatService, middlewares: [OidcSocketMiddleware, OidcSocketAdminMiddleware] });
  });
});
afterAll(async () => {
  await app.stop();
  await issuer.close();
});

test("smoke", async () => {
  const token = await issuer.mint({ roles: ["admin"] });
  const res = await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${token}` } });
  console.log(res.status, await res.json());
  const no = await fetch(`${app.url}/profile`);
  console.log(no.status, no.headers.get("www-authenticate"), await no.json());
  const s = await connectSocket(app.url, "/chat", { auth: { token } });
  console.log(s.connected, s.error, s.socket && (await emitWithAck(s.socket, "whoami")));
  s.socket?.close();
  const a = await connectSocket(app.url, "/admin", { auth: { token: "x.y.z" } });
  console.log(a);
  expect(res.status).toBe(200);
});
