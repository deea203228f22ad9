// docs-site/content/docs/getting-started/1.introduction.md, verbatim; ApiController and ChatService are the reader's.
import { IOServer } from "ioserver";
import { OidcHttpMiddleware, OidcSocketMiddleware } from "ioserver-oidc";

declare class ApiController { constructor(appHandle: unknown) }
declare class ChatService { constructor(appHandle: unknown) }

const server = new IOServer({ port: 3000 });

// HTTP: OidcHttpMiddleware runs before every route in ApiController
server.addController({
  name: "api",
  controller: ApiController,
  middlewares: [OidcHttpMiddleware],
});

// WebSocket: OidcSocketMiddleware runs before each new connection to ChatService
server.addService({
  name: "chat",
  service: ChatService,
  middlewares: [OidcSocketMiddleware],
});

await server.start();
