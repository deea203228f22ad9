/**
 * The fastify-jwt-jwks peer: a plain Fastify 5 app (no IOServer) serving
 * the bench route, unprotected or behind fastify-jwt-jwks (which verifies
 * with @fastify/jwt and fast-jwt). fast-jwt's own verified-token cache is
 * on with the same bound as ioserver-oidc's default (10,000 tokens), so
 * both caches are compared at equal size. Each is measured against the
 * unprotected plain Fastify route, its own baseline.
 */
import Fastify from "fastify";
import { fastifyJwtJwks } from "fastify-jwt-jwks";

export async function startPlainFastify(port: number, protectedRoute: boolean): Promise<() => Promise<unknown>> {
  const app = Fastify({ logger: false });
  if (protectedRoute) {
    await app.register(fastifyJwtJwks, {
      jwksUrl: process.env.AUTH_SERVICE_JWKS_URI ?? "",
      issuer: process.env.AUTH_SERVICE_ISSUER ?? "",
      audience: process.env.AUTH_SERVICE_APP_SLUG ?? "",
      cache: Number(process.env.AUTH_SERVICE_TOKEN_CACHE_SIZE ?? 10_000),
    } as Parameters<typeof fastifyJwtJwks>[1]);
  }
  const options = protectedRoute ? { preValidation: (app as unknown as { authenticate: never }).authenticate } : {};
  app.get("/bench", options, async (request) => ({ ok: true, sub: (request as { user?: { sub?: string } }).user?.sub ?? null }));
  await app.listen({ host: "127.0.0.1", port });
  return () => app.close();
}
