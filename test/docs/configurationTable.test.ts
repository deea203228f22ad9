import { expect, test } from "@jest/globals";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { OIDC_ENV_VARS } from "../../src/config.js";

/** docs/configuration.md is the one reference of the settings: a row per setting of src/config.ts, with its field. */
const PAGE = readFileSync(fileURLToPath(new URL("../../docs/configuration.md", import.meta.url)), "utf8");
/** Every table row naming a variable, empty cells included (so a stale duplicate row with blank cells is seen too). */
const ROWS = [...PAGE.matchAll(/^\| `(AUTH_SERVICE_\w+)` \|([^|]*)\|([^|]*)\|([^|]*)\|$/gm)];

test.each(Object.entries(OIDC_ENV_VARS))("%s has one row: %s, its OidcConfig field, a default and a meaning", (field, variable) => {
  const rows = ROWS.filter((row) => row[1] === variable);
  expect(rows).toHaveLength(1);
  const [, , fieldCell, defaultCell, meaning] = rows[0]!;
  expect(fieldCell!.trim()).toBe(`\`${field}\``);
  expect(defaultCell!.trim()).not.toBe("");
  expect(meaning!.trim()).not.toBe("");
});

test("AUTH_SERVICE_LOG_LEVEL, read by the logger rather than src/config.ts, has one row too", () => {
  expect(ROWS.filter((row) => row[1] === "AUTH_SERVICE_LOG_LEVEL")).toHaveLength(1);
});

test("the table has no row for a variable the package does not read", () => {
  const known = new Set([...Object.values(OIDC_ENV_VARS), "AUTH_SERVICE_LOG_LEVEL"]);
  expect(ROWS.map((row) => row[1]).filter((variable) => !known.has(variable!))).toEqual([]);
});
