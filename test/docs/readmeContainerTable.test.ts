import { expect, test } from "@jest/globals";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { TOKENS } from "../../src/tokens.js";

/** The table under "## The container: replacing a collaborator" must name every seam `TOKENS` has. */
const README = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");

test("the README's container table lists every token of TOKENS, once", () => {
  const section = README.split("## The container: replacing a collaborator")[1]?.split("\n## ")[0] ?? "";
  const rows = [...section.matchAll(/^\| `TOKENS\.(\w+)` \|/gm)].map((match) => match[1]);
  expect([...rows].sort()).toEqual(Object.keys(TOKENS).sort());
});
