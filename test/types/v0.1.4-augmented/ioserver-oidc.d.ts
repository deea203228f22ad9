// docs-site/content/docs/api/6.types.md, "Augmenting Fastify and Socket.IO types", verbatim ("src/types/ioserver-oidc.d.ts").
import "fastify";
import type { OidcFeatures } from "ioserver-oidc";

declare module "fastify" {
  interface FastifyRequest {
    sub: string;
    userId: string;
    userRole: string;
    roles: string[];
    permissions: string[];
    features: OidcFeatures;
  }
}

declare module "socket.io" {
  interface Socket {
    sub: string;
    userId: string;
    userRole: string;
    roles: string[];
    permissions: string[];
    features: OidcFeatures;
  }
}
