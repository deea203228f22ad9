/**
 * The 0.1.x-style peer: what ioserver-oidc 0.1.x does, one jose `jwtVerify`
 * against a `createRemoteJWKSet` per request or handshake, no token cache,
 * no provisioning. One remote key set per process (the peer's best case).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Socket } from "socket.io";
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};

let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

async function verify(token: string): Promise<JWTPayload> {
  jwks ??= createRemoteJWKSet(new URL(env("AUTH_SERVICE_JWKS_URI")));
  const { payload } = await jwtVerify(token, jwks, { issuer: env("AUTH_SERVICE_ISSUER"), audience: env("AUTH_SERVICE_APP_SLUG") });
  return payload;
}

function contextOf(payload: JWTPayload): Record<string, unknown> {
  const roles = Array.isArray(payload.roles) ? (payload.roles as string[]) : [];
  return {
    sub: payload.sub,
    userId: payload.sub,
    userRole: roles[0] ?? "user",
    roles,
    permissions: Array.isArray(payload.permissions) ? payload.permissions : [],
    features: typeof payload.features === "object" && payload.features !== null ? payload.features : {},
  };
}

export class PeerHttpMiddleware {
  handle(): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
    return async (request, reply) => {
      const header = request.headers.authorization;
      if (!header?.startsWith("Bearer ")) return reply.status(401).send({ code: "ERR_AUTH_TOKEN_REQUIRED" });
      try {
        Object.assign(request, contextOf(await verify(header.slice(7))));
        return undefined;
      } catch {
        return reply.status(401).send({ code: "ERR_AUTH_TOKEN_INVALID" });
      }
    };
  }
}

export class PeerSocketMiddleware {
  handle(): (socket: Socket, next: (err?: Error) => void) => void {
    return (socket, next) => {
      const token: unknown = (socket.handshake.auth as Record<string, unknown>).token;
      if (typeof token !== "string") {
        next(new Error("ERR_AUTH_TOKEN_REQUIRED"));
        return;
      }
      verify(token).then(
        (payload) => {
          Object.assign(socket, contextOf(payload));
          next();
        },
        () => next(new Error("ERR_AUTH_TOKEN_INVALID")),
      );
    };
  }
}
