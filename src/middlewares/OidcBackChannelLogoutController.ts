import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { DependencyContainer } from "tsyringe";
import { oidcContainer } from "../container.js";
import { ERR_AUTH_MISCONFIGURED, ERR_AUTH_TOKEN_INVALID, ERR_AUTH_UNAVAILABLE, OidcError, toOidcError } from "../errors.js";
import { BackChannelLogout } from "../services/sessions/BackChannelLogout.js";
import { TOKENS } from "../tokens.js";

/** The routes file shipped with the package (`routes/oidcBackchannelLogout.json`), without ".json" as IOServer wants it. */
export const BACKCHANNEL_LOGOUT_ROUTES = fileURLToPath(new URL("../../routes/oidcBackchannelLogout", import.meta.url));

const FORM = "application/x-www-form-urlencoded";
/** Set on a request that came as a form, before Fastify is told to read it as text. */
const CAME_AS_FORM = Symbol("ioserver-oidc.cameAsForm");
type Marked = FastifyRequest & { [CAME_AS_FORM]?: true };

/** The OAuth 2.0 error body the spec's §2.8 allows, and its status. */
interface Answer {
  status: 400 | 500 | 503;
  error: "invalid_request" | "server_error" | "temporarily_unavailable";
  description: string;
  retryAfter?: number;
}

/**
 * IOServer controller: the OpenID Connect Back-Channel Logout 1.0 receiver
 * (`POST <prefix>/backchannel-logout`, a form with `logout_token`; other
 * parameters are ignored). 200 with an empty body once the session is
 * revoked on every node; 400 with `{ error, error_description }` for
 * anything wrong with the request or the token; 503 when the JWKS or the
 * revocation store cannot be had (the token may be fine: the OP may
 * retry); `Cache-Control: no-store` on every answer.
 *
 * Fastify reads only JSON and text bodies unless told more, and IOServer
 * registers every route on its root instance, where a form parser would
 * change every other route of the host. So the route's `onRequest` hook
 * (`acceptForm`) has this one request's form body read by Fastify's own
 * text parser, bounded by the route's `bodyLimit` (64 KiB; the token
 * itself by `AUTH_SERVICE_MAX_TOKEN_BYTES`), and remembers it was a form.
 *
 * @example
 * ```ts
 * server.addController(backChannelLogoutController({ routes: "./routes" })); // POST /oidc/backchannel-logout
 * ```
 */
export class OidcBackChannelLogoutController {
  static container: DependencyContainer = oidcContainer;
  private service: BackChannelLogout | undefined;

  /** IOServer passes its appHandle; the controller does not need it. */
  constructor(_appHandle?: unknown) {}

  /** `onRequest`: a form body is handed to Fastify's text parser (nothing else of the host changes). */
  async acceptForm(request: FastifyRequest): Promise<void> {
    const type = request.headers["content-type"];
    if (typeof type === "string" && type.split(";")[0]?.trim().toLowerCase() === FORM) {
      (request as Marked)[CAME_AS_FORM] = true;
      request.headers = { "content-type": "text/plain; charset=utf-8" };
    }
  }

  async logout(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    reply.header("Cache-Control", "no-store");
    if ((request as Marked)[CAME_AS_FORM] !== true) return answer(reply, { status: 400, error: "invalid_request", description: `the body must be ${FORM}` });
    const tokens = new URLSearchParams(typeof request.body === "string" ? request.body : "").getAll("logout_token");
    if (tokens.length === 0 || tokens[0] === "") return answer(reply, { status: 400, error: "invalid_request", description: "logout_token is required" });
    if (tokens.length > 1) return answer(reply, { status: 400, error: "invalid_request", description: "logout_token must be sent once" });
    try {
      await this.logouts().logout(tokens[0] as string);
      return reply.code(200).send();
    } catch (error) {
      return answer(reply, answerFor(toOidcError(error, ERR_AUTH_TOKEN_INVALID), this.logger()));
    }
  }

  /** The route's error handler: what Fastify refuses before `logout` runs (too large, another media type, …) is a 400 too. */
  async refuse(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    reply.header("Cache-Control", "no-store");
    const description = error.code === "FST_ERR_CTP_BODY_TOO_LARGE" ? "the body is too large" : error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" ? `the body must be ${FORM}` : "the request could not be read";
    return answer(reply, { status: 400, error: "invalid_request", description });
  }

  private logouts(): BackChannelLogout {
    return (this.service ??= (this.constructor as typeof OidcBackChannelLogoutController).container.resolve(BackChannelLogout));
  }

  private logger() {
    return (this.constructor as typeof OidcBackChannelLogoutController).container.resolve(TOKENS.Logger);
  }
}

/**
 * A bad token is a 400 whatever failed (never a 5xx), its reason in the
 * description (the OP's operators read it; it holds no key material). A
 * JWKS or store outage is a 503 with Retry-After; our own misconfiguration
 * a 500 whose detail stays in the log.
 */
function answerFor(error: OidcError, logger: ReturnType<OidcBackChannelLogoutController["logger"]>): Answer {
  const record = { code: error.code, reason: error.reason ?? error.message };
  if (error.code === ERR_AUTH_UNAVAILABLE) {
    logger.warn(record, "back-channel logout could not be processed");
    return { status: 503, error: "temporarily_unavailable", description: "the logout cannot be processed now, retry later", retryAfter: error.retryAfter ?? 30 };
  }
  if (error.code === ERR_AUTH_MISCONFIGURED) {
    logger.warn(record, "back-channel logout could not be processed");
    return { status: 500, error: "server_error", description: "the logout receiver is misconfigured" };
  }
  logger.debug(record, "back-channel logout refused");
  return { status: 400, error: "invalid_request", description: `invalid logout token: ${error.reason ?? error.message}` };
}

function answer(reply: FastifyReply, { status, error, description, retryAfter }: Answer): FastifyReply {
  if (retryAfter !== undefined) reply.header("Retry-After", String(retryAfter));
  return reply.code(status).type("application/json").send({ error, error_description: description });
}

export interface BackChannelLogoutRegistration {
  /** The routes directory given to IOServer (`routes` option; IOServer's default is `<cwd>/routes`). */
  routes?: string;
  /** URL prefix (default "/oidc"): the endpoint is `<prefix>/backchannel-logout`. */
  prefix?: string;
  /** The controller class, e.g. `bindOidcMiddlewares(container).OidcBackChannelLogoutController` (default the one on `oidcContainer`). */
  controller?: typeof OidcBackChannelLogoutController;
}

/**
 * The `server.addController()` options of the back-channel logout receiver,
 * with the routes file the package ships. IOServer reads
 * `<routes>/<name>.json` for every controller and has no per-controller
 * routes directory, so `name` is the package's file relative to the host's
 * routes directory. (Where that cannot work, e.g. a routes directory on
 * another Windows drive, copy `routes/oidcBackchannelLogout.json` into
 * yours and register `{ name: "oidcBackchannelLogout", controller, prefix }`.)
 *
 * @example
 * ```ts
 * server.addController(backChannelLogoutController({ routes: ROUTES_DIR, prefix: "/oidc" }));
 * ```
 */
export function backChannelLogoutController(options: BackChannelLogoutRegistration = {}): { name: string; controller: typeof OidcBackChannelLogoutController; prefix: string } {
  const routes = path.resolve(options.routes ?? path.join(process.cwd(), "routes"));
  return {
    name: path.relative(routes, BACKCHANNEL_LOGOUT_ROUTES),
    controller: options.controller ?? OidcBackChannelLogoutController,
    prefix: options.prefix ?? "/oidc",
  };
}
