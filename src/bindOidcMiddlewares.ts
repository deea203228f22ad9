import type { DependencyContainer } from "tsyringe";
import { OidcConfigManager } from "./OidcConfigManager.js";
import { OidcHttpMiddleware } from "./middlewares/OidcHttpMiddleware.js";
import { OidcHttpAdminMiddleware } from "./middlewares/OidcHttpAdminMiddleware.js";
import { OidcSocketAdminMiddleware } from "./middlewares/OidcSocketAdminMiddleware.js";
import { OidcSocketMiddleware } from "./middlewares/OidcSocketMiddleware.js";
import { guardFactories, type OidcGuardFactories } from "./middlewares/guardFactories.js";
import { OidcBackChannelLogoutController } from "./middlewares/OidcBackChannelLogoutController.js";

/** The IOServer classes of the package, and the guard factories, bound to one container. */
export interface BoundOidcClasses extends OidcGuardFactories {
  OidcConfigManager: typeof OidcConfigManager;
  OidcHttpMiddleware: typeof OidcHttpMiddleware;
  OidcSocketMiddleware: typeof OidcSocketMiddleware;
  OidcSocketAdminMiddleware: typeof OidcSocketAdminMiddleware;
  OidcHttpAdminMiddleware: typeof OidcHttpAdminMiddleware;
  OidcBackChannelLogoutController: typeof OidcBackChannelLogoutController;
}

/**
 * Makes the manager, middleware and controller classes resolve from `container`
 * instead of the default `oidcContainer`. IOServer constructs middlewares
 * with no arguments, so the container travels on the class: two IOServer
 * instances in one process (or two tests) can each have their own bindings.
 * Guards made by the returned factories are bound to `container` too.
 *
 * @example
 * ```ts
 * const c = createOidcContainer();
 * c.register(TOKENS.JwksVerifier, { useValue: fakeVerifier });
 * const { OidcHttpMiddleware, requireRoles } = bindOidcMiddlewares(c);
 * server.addController({ name: "profile", controller: ProfileController,
 *   middlewares: [OidcHttpMiddleware, requireRoles("admin").http] });
 * ```
 */
export function bindOidcMiddlewares(container: DependencyContainer): BoundOidcClasses {
  return {
    OidcConfigManager: class extends OidcConfigManager {
      static override container = container;
    },
    OidcHttpMiddleware: class extends OidcHttpMiddleware {
      static override container = container;
    },
    OidcSocketMiddleware: class extends OidcSocketMiddleware {
      static override container = container;
    },
    OidcSocketAdminMiddleware: class extends OidcSocketAdminMiddleware {
      static override container = container;
    },
    OidcHttpAdminMiddleware: class extends OidcHttpAdminMiddleware {
      static override container = container;
    },
    OidcBackChannelLogoutController: class extends OidcBackChannelLogoutController {
      static override container = container;
    },
    ...guardFactories(container),
  };
}
