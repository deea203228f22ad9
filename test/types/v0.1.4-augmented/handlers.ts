// With the page's augmentation, "the properties will be fully typed in every controller and service method".
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Socket } from "socket.io";
import { getAuth, type OidcFeatures } from "ioserver-oidc";

interface AppFeatures extends OidcFeatures {
  maxProjects: number;
  canExport: boolean;
  tier: "free" | "pro" | "enterprise";
}

export function profile(request: FastifyRequest, reply: FastifyReply): void {
  const userId: string = request.userId;
  const roles: string[] = request.roles;
  const features = request.features as AppFeatures;
  if (!features.canExport) {
    reply.code(403).send({ error: "Export not available on your plan" });
  }
  reply.send({ userId, roles, email: getAuth(request).email });
}

export function chat(socket: Socket): string {
  return `${socket.userId} (${socket.userRole}) ${socket.permissions.join(",")}`;
}
