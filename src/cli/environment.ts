import { readFileSync } from "node:fs";
import * as util from "node:util";

/** The variables the CLI reads, and where each came from. */
export interface CliEnvironment {
  readonly env: NodeJS.ProcessEnv;
  /** `--env-file`'s path, when one was given. */
  readonly envFile: string | undefined;
  /** `"env"` or `"env file <path>"` for a variable that is set (non-empty), else undefined. */
  sourceOf(variable: string): string | undefined;
}

/**
 * The process environment, completed by `--env-file` the way `node
 * --env-file` and dotenv do it: a variable already set in the environment
 * wins over the file. Throws when the file cannot be read.
 */
export function loadEnvironment(processEnv: NodeJS.ProcessEnv, envFile?: string): CliEnvironment {
  const fromFile = envFile === undefined ? {} : parseEnvFile(readFileSync(envFile, "utf8"));
  const isSet = (value: string | undefined): value is string => value !== undefined && value.trim() !== "";
  const env: NodeJS.ProcessEnv = { ...fromFile };
  for (const [name, value] of Object.entries(processEnv)) if (isSet(value) || !isSet(env[name])) env[name] = value;
  return {
    env,
    envFile,
    sourceOf: (variable) => {
      if (isSet(processEnv[variable])) return "env";
      return isSet(fromFile[variable]) ? `env file ${envFile}` : undefined;
    },
  };
}

/**
 * Node's own `.env` parser (`util.parseEnv`, Node ≥ 20.12); on an older
 * Node 20, the common subset: `KEY=value` lines, `export ` prefixes, `#`
 * comments, single or double quotes.
 */
function parseEnvFile(content: string): NodeJS.Dict<string> {
  if (typeof util.parseEnv === "function") return util.parseEnv(content);
  const parsed: NodeJS.Dict<string> = {};
  for (const line of content.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([\w.-]+)\s*=\s*(.*)?\s*$/.exec(line);
    if (!match?.[1]) continue;
    let value = (match[2] ?? "").trim();
    const quoted = /^(['"`])([\s\S]*)\1$/.exec(value);
    value = quoted ? (quoted[2] ?? "") : value.replace(/\s+#.*$/, "");
    parsed[match[1]] = value;
  }
  return parsed;
}
