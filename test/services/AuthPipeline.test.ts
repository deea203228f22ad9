import { describe, expect, jest, test } from "@jest/globals";
import { createOidcContainer } from "../../src/container.js";
import {
  ERR_AUTH_MISCONFIGURED,
  ERR_AUTH_TOKEN_INVALID,
  ERR_AUTH_TOKEN_REQUIRED,
  ERR_AUTH_UNAVAILABLE,
  ERR_USER_DISABLED,
  ERR_USER_PROVISION_FAILED,
  OidcError,
} from "../../src/errors.js";
import type { TokenVerifier } from "../../src/services/verification/JwksVerifier.js";
import type { UserProvisioner } from "../../src/services/UserProvisioner.js";
import { TOKENS } from "../../src/tokens.js";
import type { LocalUser, VerifiedClaims } from "../../src/types.js";
import { captureLogger } from "../fixtures/doubles.js";
import { refusal } from "../fixtures/refusal.js";

const TOKEN = "header.payload.signature-of-alice";
const CLAIMS: VerifiedClaims = {
  sub: "alice",
  iss: "https://auth.example.com",
  exp: 2_000_000_000,
  email: "alice@example.com",
  name: "Alice",
  roles: ["admin", 3],
  permissions: ["read"],
  features: { beta: true },
};

/** A pipeline resolved from a fresh container whose verifier and provisioner are the given fakes. */
function pipelineWith(verify: TokenVerifier["verify"], findOrCreate: UserProvisioner["findOrCreate"]) {
  const verifier = { verify: jest.fn(verify) };
  const provisioner = { findOrCreate: jest.fn(findOrCreate) };
  const logs = captureLogger();
  const container = createOidcContainer();
  container.register(TOKENS.Environment, { useValue: {} });
  container.register(TOKENS.JwksVerifier, { useValue: verifier });
  container.register(TOKENS.UserProvisioner, { useValue: provisioner });
  container.register(TOKENS.Logger, { useValue: logs.logger });
  return { pipeline: container.resolve(TOKENS.AuthPipeline), verifier, provisioner, logs, container };
}

const accept = async (): Promise<VerifiedClaims> => CLAIMS;
const noUser = async (): Promise<LocalUser | undefined> => undefined;


describe("success", () => {
  test("verify → provision → context; the provisioner gets (sub, { email, name, iss })", async () => {
    const { pipeline, verifier, provisioner } = pipelineWith(accept, async () => ({ id: 7, role: "editor" }));
    const result = await pipeline.authenticateRequest(() => TOKEN, "http");
    expect(verifier.verify).toHaveBeenCalledWith(TOKEN);
    expect(provisioner.findOrCreate).toHaveBeenCalledWith("alice", { email: "alice@example.com", name: "Alice", iss: "https://auth.example.com" });
    expect(result.context).toEqual({ sub: "alice", iss: "https://auth.example.com", userId: "7", userRole: "editor", roles: ["admin"], permissions: ["read"], scopes: [], features: { beta: true }, email: "alice@example.com", name: "Alice" });
    expect(result.localRole).toBe("editor");
    expect(result.claims).toBe(CLAIMS);
  });

  test("a provisioner without a local user: userId is sub, the role comes from the token", async () => {
    const { pipeline } = pipelineWith(accept, noUser);
    const result = await pipeline.authenticateRequest(() => TOKEN, "socket");
    expect(result.context.userId).toBe("alice");
    expect(result.context.userRole).toBe("admin");
    expect(result.localRole).toBeUndefined();
  });

  test("the role source comes from the configuration; without a readable one it is the default, token", async () => {
    const { pipeline } = pipelineWith(accept, noUser);
    expect((await pipeline.authenticateRequest(() => TOKEN, "http")).roleSource).toBe("token");
    const container = createOidcContainer();
    container.register(TOKENS.Environment, { useValue: { AUTH_SERVICE_URL: "https://auth.example.com", AUTH_SERVICE_APP_SLUG: "app", AUTH_SERVICE_ROLE_SOURCE: "local-first" } });
    container.register(TOKENS.JwksVerifier, { useValue: { verify: accept } });
    container.register(TOKENS.UserProvisioner, { useValue: { findOrCreate: async () => ({ id: 1, role: "admin" }) } });
    container.register(TOKENS.Logger, { useValue: captureLogger().logger });
    const result = await container.resolve(TOKENS.AuthPipeline).authenticateRequest(() => TOKEN, "http");
    expect([result.roleSource, result.localRole]).toEqual(["local-first", "admin"]);
  });

  test("the result is frozen: the recorded identity cannot be swapped", async () => {
    const { pipeline } = pipelineWith(accept, noUser);
    const result = await pipeline.authenticateRequest(() => TOKEN, "http");
    expect(Object.isFrozen(result)).toBe(true);
  });

  test("a synchronous provisioner works too", async () => {
    const { pipeline } = pipelineWith(accept, () => ({ id: "sync-1" }));
    expect((await pipeline.authenticateRequest(() => TOKEN, "http")).context.userId).toBe("sync-1");
  });
});

describe("refusals", () => {
  test.each([["undefined", undefined], ["empty", ""]])("an %s token: ERR_AUTH_TOKEN_REQUIRED, the verifier is never asked", async (_kind, token) => {
    const { pipeline, verifier, provisioner } = pipelineWith(accept, noUser);
    expect((await refusal(pipeline.authenticateRequest(() => token, "http"))).code).toBe(ERR_AUTH_TOKEN_REQUIRED);
    expect(verifier.verify).not.toHaveBeenCalled();
    expect(provisioner.findOrCreate).not.toHaveBeenCalled();
  });

  test("the verifier's OidcError passes through unchanged; nothing is provisioned", async () => {
    const unavailable = new OidcError(ERR_AUTH_UNAVAILABLE, { retryAfter: 4 });
    const { pipeline, provisioner } = pipelineWith(async () => {
      throw unavailable;
    }, noUser);
    expect(await refusal(pipeline.authenticateRequest(() => TOKEN, "http"))).toBe(unavailable);
    expect(provisioner.findOrCreate).not.toHaveBeenCalled();
  });

  test("a misconfiguration reaches the client as the generic message; the variable is named in the reason and the log", async () => {
    const detailed = new OidcError(ERR_AUTH_MISCONFIGURED, {
      message: "Invalid OIDC configuration: AUTH_SERVICE_JWKS_URI must use https: (got \"http://10.0.0.5/jwks\")",
      reason: "AUTH_SERVICE_JWKS_URI must use https:",
    });
    const { pipeline, logs } = pipelineWith(async () => {
      throw detailed;
    }, noUser);
    const error = await refusal(pipeline.authenticateRequest(() => TOKEN, "http"));
    expect(error.code).toBe(ERR_AUTH_MISCONFIGURED);
    expect(error.message).toBe(new OidcError(ERR_AUTH_MISCONFIGURED).message);
    expect(error.reason).toBe("AUTH_SERVICE_JWKS_URI must use https:");
    expect(logs.records()).toEqual([expect.objectContaining({ level: 40, code: ERR_AUTH_MISCONFIGURED, reason: "AUTH_SERVICE_JWKS_URI must use https:" })]);
  });

  test.each([
    ["throws a plain Error", async () => Promise.reject(new Error("custom verifier broke"))],
    ["throws a string", async () => Promise.reject("nope")],
  ])("a custom verifier that %s fails closed with ERR_AUTH_TOKEN_INVALID", async (_kind, verify) => {
    const { pipeline, provisioner } = pipelineWith(verify as TokenVerifier["verify"], noUser);
    expect((await refusal(pipeline.authenticateRequest(() => TOKEN, "http"))).code).toBe(ERR_AUTH_TOKEN_INVALID);
    expect(provisioner.findOrCreate).not.toHaveBeenCalled();
  });

  test("a provisioner that throws: ERR_USER_PROVISION_FAILED, its message kept for the log only", async () => {
    const { pipeline, logs } = pipelineWith(accept, async () => {
      throw new Error("database unreachable");
    });
    const error = await refusal(pipeline.authenticateRequest(() => TOKEN, "http"));
    expect(error.code).toBe(ERR_USER_PROVISION_FAILED);
    expect(error.statusCode).toBe(500);
    expect(error.message).not.toContain("database");
    expect(logs.records()).toEqual([expect.objectContaining({ code: ERR_USER_PROVISION_FAILED, reason: "database unreachable", transport: "http" })]);
  });

  test("a provisioner may refuse with its own OidcError", async () => {
    const { pipeline } = pipelineWith(accept, async () => {
      throw new OidcError(ERR_USER_DISABLED, { message: "Banned" });
    });
    const error = await refusal(pipeline.authenticateRequest(() => TOKEN, "http"));
    expect(error.code).toBe(ERR_USER_DISABLED);
    expect(error.message).toBe("Banned");
  });

  test("a disabled local user: ERR_USER_DISABLED", async () => {
    const { pipeline } = pipelineWith(accept, async () => ({ id: 1, role: "admin", isDisabled: true }));
    const error = await refusal(pipeline.authenticateRequest(() => TOKEN, "socket"));
    expect(error.code).toBe(ERR_USER_DISABLED);
    expect(error.statusCode).toBe(403);
  });

  test("a truthy non-boolean isDisabled (e.g. SQLite's 1) also refuses: fail closed", async () => {
    const { pipeline } = pipelineWith(accept, async () => ({ id: 1, isDisabled: 1 as unknown as boolean }));
    expect((await refusal(pipeline.authenticateRequest(() => TOKEN, "http"))).code).toBe(ERR_USER_DISABLED);
  });

  test.each([
    ["{ id, disabled: true }", { id: 1, disabled: true }, /field "disabled" reads like an account state/],
    ["{ id, enabled: false }", { id: 1, enabled: false }, /field "enabled" reads like an account state/],
    ["{ id, status: \"banned\" }", { id: 1, status: "banned" }, /field "status" reads like an account state/],
    ["an answer without id", { role: "admin" }, /field "id"/],
    ["isDisabled as the string \"false\"", { id: 1, isDisabled: "false" }, /field "isDisabled"/],
  ])("a provisioner answering %s: 500 ERR_USER_PROVISION_FAILED, warned with the field named", async (_kind, answer, reason) => {
    const { pipeline, logs } = pipelineWith(accept, async () => answer as unknown as LocalUser);
    const error = await refusal(pipeline.authenticateRequest(() => TOKEN, "http"));
    expect([error.code, error.statusCode]).toEqual([ERR_USER_PROVISION_FAILED, 500]);
    expect(logs.records()).toEqual([expect.objectContaining({ level: 40, code: ERR_USER_PROVISION_FAILED, reason: expect.stringMatching(reason), transport: "http" })]);
  });

  test("an answer that throws while it is read (an ORM entity's failing getter): 500 ERR_USER_PROVISION_FAILED, not blamed on the token", async () => {
    const answer = Object.defineProperty({ id: 1 }, "isDisabled", {
      enumerable: true,
      get: () => {
        throw new Error("relation not loaded");
      },
    });
    const { pipeline, logs } = pipelineWith(accept, async () => answer as unknown as LocalUser);
    const error = await refusal(pipeline.authenticateRequest(() => TOKEN, "http"));
    expect([error.code, error.statusCode]).toEqual([ERR_USER_PROVISION_FAILED, 500]);
    expect(logs.records()).toEqual([expect.objectContaining({ level: 40, code: ERR_USER_PROVISION_FAILED, reason: "relation not loaded", transport: "http" })]);
  });

  test("isDisabled: false lets the user in", async () => {
    const { pipeline } = pipelineWith(accept, async () => ({ id: 1, isDisabled: false }));
    await expect(pipeline.authenticateRequest(() => TOKEN, "http")).resolves.toBeDefined();
  });
});

describe("logging", () => {
  test("each refusal is logged once with code and transport, never with the token", async () => {
    const { pipeline, logs } = pipelineWith(async () => {
      throw new OidcError(ERR_AUTH_TOKEN_INVALID, { reason: "ERR_JWT_EXPIRED" });
    }, noUser);
    await refusal(pipeline.authenticateRequest(() => TOKEN, "socket"));
    expect(logs.records()).toEqual([
      expect.objectContaining({ level: 20, msg: "authentication refused", code: ERR_AUTH_TOKEN_INVALID, statusCode: 401, reason: "ERR_JWT_EXPIRED", transport: "socket" }),
    ]);
    expect(logs.text()).not.toContain(TOKEN);
    expect(logs.text()).not.toContain("signature-of-alice");
  });

  test("server-side failures are warnings, client errors and JWKS outages are debug, a disabled user is info", async () => {
    const levels = async (verify: TokenVerifier["verify"], findOrCreate: UserProvisioner["findOrCreate"]) => {
      const { pipeline, logs } = pipelineWith(verify, findOrCreate);
      await pipeline.authenticateRequest(() => TOKEN, "http").catch(() => undefined);
      return logs.records().map((r) => r.level);
    };
    // An outage is warned about once by the key set (issue 3: once per outage, not once per request).
    expect(await levels(async () => Promise.reject(new OidcError(ERR_AUTH_UNAVAILABLE)), noUser)).toEqual([20]);
    expect(await levels(accept, async () => Promise.reject(new Error("db down")))).toEqual([40]);
    expect(await levels(async () => Promise.reject(new OidcError(ERR_AUTH_TOKEN_INVALID)), noUser)).toEqual([20]);
    expect(await levels(accept, async () => ({ id: 1, isDisabled: true }))).toEqual([30]);
  });

  test("a success logs nothing", async () => {
    const { pipeline, logs } = pipelineWith(accept, noUser);
    await pipeline.authenticateRequest(() => TOKEN, "http");
    expect(logs.records()).toEqual([]);
  });
});

describe("revocation", () => {
  test("a token the RevocationStore reports revoked is refused ERR_AUTH_TOKEN_INVALID, saying so, before provisioning", async () => {
    const { pipeline, provisioner, container } = pipelineWith(async () => ({ ...CLAIMS, sid: "s-1" }), noUser);
    await container.resolve(TOKENS.RevocationStore).add({ kind: "sid", iss: CLAIMS.iss, sid: "s-1", expiresAt: Date.now() + 60_000 });
    const error = await refusal(pipeline.authenticateRequest(() => TOKEN, "http"));
    expect(error.code).toBe(ERR_AUTH_TOKEN_INVALID);
    expect(error.message).toBe("The access token has been revoked");
    expect(error.challenge).toContain('error="invalid_token", error_description="The access token has been revoked"');
    expect(provisioner.findOrCreate).not.toHaveBeenCalled();
  });

  test("a store that cannot vouch for its state refuses with its own error (e.g. ERR_AUTH_UNAVAILABLE)", async () => {
    const { container } = pipelineWith(accept, noUser);
    const unavailable = new OidcError(ERR_AUTH_UNAVAILABLE, { reason: "revocations stale" });
    container.register(TOKENS.RevocationStore, {
      useValue: { add: async () => {}, onRevoked: () => () => {}, claimOnce: async () => true, isRevoked: () => { throw unavailable; } },
    });
    const fresh = container.resolve(TOKENS.AuthPipeline);
    expect(await refusal(fresh.authenticateRequest(() => TOKEN, "http"))).toBe(unavailable);
  });
});
