import { BETTER_AUTH_SESSION_COOKIE, BETTER_AUTH_SESSION_TOKEN } from "../services/verification/rules.js";

/** What was read from standard input, once wrappers a user may paste along are taken off. */
export type TokenInput =
  | { readonly kind: "empty" }
  | { readonly kind: "session-token"; readonly form: "token" | "cookie" }
  | { readonly kind: "candidate"; readonly token: string };

/**
 * Takes what a user would paste or pipe: a bare token, `Bearer <token>`,
 * an `Authorization:` header line, a quoted string, the JSON answer of
 * `/api/auth/token` (`{ "token": ... }`) or `/oauth2/token`
 * (`{ "access_token": ... }`), or a `name=value` cookie. Recognises
 * BetterAuth's session token, which is not a JWT.
 */
export function readTokenInput(text: string): TokenInput {
  let value = text.trim();
  if (value.startsWith("{")) value = tokenFromJson(value) ?? value;
  value = value.replace(/^authorization\s*:\s*/i, "").replace(/^bearer(?:\s+|$)/i, "").trim();
  value = value.replace(/^(["'])(.*)\1$/s, "$2").trim();
  const cookie = /^[\w.-]*session_token=(.*)$/.exec(value);
  if (cookie) value = (cookie[1] ?? "").split(";")[0] ?? "";
  if (value === "") return { kind: "empty" };
  if (BETTER_AUTH_SESSION_TOKEN.test(value)) return { kind: "session-token", form: "token" };
  if (BETTER_AUTH_SESSION_COOKIE.test(value)) return { kind: "session-token", form: "cookie" };
  return { kind: "candidate", token: value };
}

function tokenFromJson(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as Record<string, unknown> | null;
    const token = parsed?.access_token ?? parsed?.token;
    return typeof token === "string" ? token : undefined;
  } catch {
    return undefined;
  }
}

/** What explain says about a session token: where the JWT comes from instead. */
export function sessionTokenAdvice(form: "token" | "cookie", authServiceUrl: string | undefined): string[] {
  const base = `${(authServiceUrl ?? "<AUTH_SERVICE_URL>").replace(/\/+$/, "")}/api/auth`;
  return [
    form === "token"
      ? "This is a BetterAuth session token (the `token` of the sign-in answer), not a JWT."
      : "This is the value of BetterAuth's session cookie (better-auth.session_token: token.signature), not a JWT.",
    "ioserver-oidc verifies JWT access tokens signed by the issuer's keys; a session token is only known to BetterAuth's database.",
    "Get the JWT from BetterAuth instead:",
    `  - jwt plugin: GET ${base}/token with the session cookie (or \`Authorization: Bearer <session token>\` with the bearer plugin) answers { "token": "<JWT>" };`,
    `    GET ${base}/get-session also sends one in its set-auth-jwt header.`,
    `  - @better-auth/oauth-provider: POST ${base}/oauth2/token answers { "access_token": "<JWT>" }.`,
    "Then send that JWT as `Authorization: Bearer <JWT>` (HTTP) or `auth: { token }` (Socket.IO).",
  ];
}
