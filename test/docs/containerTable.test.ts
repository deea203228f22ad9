import { expect, test } from "@jest/globals";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { TOKENS } from "../../src/tokens.js";

/** The table of docs/container.md (linked from README) must name every seam `TOKENS` has. */
const PAGE = readFileSync(fileURLToPath(new URL("../../docs/container.md", import.meta.url)), "utf8");

test("docs/container.md's table lists every token of TOKENS, once", () => {
  const rows = [...PAGE.matchAll(/^\| `TOKENS\.(\w+)` \|/gm)].map((match) => match[1]);
  expect([...rows].sort()).toEqual(Object.keys(TOKENS).sort());
});
