import { OIDC_ENV_VARS, type ResolvedOidcConfig } from "../config.js";
import type { CliEnvironment } from "./environment.js";

/** Settings derived from another one when unset (see `validate` in config.ts). */
const DERIVED_FROM: Partial<Record<keyof ResolvedOidcConfig, string>> = {
  jwksUri: `${OIDC_ENV_VARS.authServiceUrl} + /api/auth/jwks`,
  issuer: OIDC_ENV_VARS.authServiceUrl,
  audience: OIDC_ENV_VARS.appSlug,
};

/** `AUTH_SERVICE_*` variables read outside `ResolvedOidcConfig`: the logger's level, and discovery (which doctor reads itself). */
export const OTHER_VARIABLES: readonly string[] = Object.freeze(["AUTH_SERVICE_LOG_LEVEL", "AUTH_SERVICE_DISCOVERY"]);

export interface SettingRow {
  readonly field: keyof ResolvedOidcConfig;
  readonly variable: string;
  readonly value: unknown;
  /** `env`, `env file <path>`, `derived from <variable>` or `default`. */
  readonly source: string;
}

/** Every resolved setting with the variable behind it and where its value came from. */
export function settingRows(config: ResolvedOidcConfig, environment: CliEnvironment): SettingRow[] {
  return (Object.keys(OIDC_ENV_VARS) as (keyof ResolvedOidcConfig)[]).map((field) => {
    const variable = OIDC_ENV_VARS[field];
    const derived = DERIVED_FROM[field];
    const source = environment.sourceOf(variable) ?? (derived ? `derived from ${derived}` : "default");
    return { field, variable, value: config[field], source };
  });
}

/** Where a setting's value came from, as explain's fixes name it: `AUTH_SERVICE_ISSUER (derived from AUTH_SERVICE_URL)`. */
export function settingLabel(variable: string, config: ResolvedOidcConfig, environment: CliEnvironment): string {
  const row = settingRows(config, environment).find((r) => r.variable === variable);
  return row === undefined || row.source === "env" ? variable : `${variable} (${row.source})`;
}

/** `AUTH_SERVICE_*` variables that are set but that no part of the package reads: usually a typo. */
export function unknownVariables(environment: CliEnvironment): string[] {
  const known = new Set([...Object.values(OIDC_ENV_VARS), ...OTHER_VARIABLES]);
  return Object.keys(environment.env)
    .filter((name) => name.startsWith("AUTH_SERVICE_") && !known.has(name) && environment.sourceOf(name) !== undefined)
    .sort();
}
