import { expect, test } from "@jest/globals";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Code in the pages below must be the examples' code, which the test suite
 * runs: each block is preceded by `<!-- snippet: <file>#<region> -->` (a
 * path from the repository root) and equals that `// #region` of the file.
 * (README's Quick start is run on its own: readmeQuickStart.test.ts.)
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** A page, and the `## ` section of it that holds only example code (undefined: the whole page). */
const PAGES: [string, string | undefined][] = [
  ["docs/testing.md", undefined],
  ["docs/context.md", "## Typed context"],
];

function section(file: string, heading: string | undefined): string {
  const text = readFileSync(`${ROOT}${file}`, "utf8");
  if (heading === undefined) return text;
  const start = text.split("\n").indexOf(heading);
  if (start < 0) throw new Error(`${file} has no "${heading}" section`);
  const lines = text.split("\n").slice(start + 1);
  const end = lines.findIndex((line) => line.startsWith("## "));
  return lines.slice(0, end < 0 ? undefined : end).join("\n");
}

function region(file: string, name: string): string {
  const lines = readFileSync(`${ROOT}${file}`, "utf8").split("\n");
  const start = lines.findIndex((line) => line.trim() === `// #region ${name}`);
  const end = lines.findIndex((line) => line.trim() === `// #endregion ${name}`);
  if (start < 0 || end < start) throw new Error(`${file} has no region "${name}"`);
  const body = lines.slice(start + 1, end);
  const indent = Math.min(...body.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length));
  return body.map((l) => l.slice(indent)).join("\n");
}

test.each(PAGES)("every code block of %s %s is a region of an example", (file, heading) => {
  const text = section(file, heading);
  const blocks = [...text.matchAll(/(?:<!-- snippet: (\S+?)#(\S+?) -->\n)?```ts\n([\s\S]*?)\n```/g)];
  expect(blocks.length).toBeGreaterThan(0);
  for (const [, example, name, code] of blocks) {
    expect({ example, name }).toEqual({ example: expect.stringMatching(/^examples\//), name: expect.any(String) });
    expect(code).toBe(region(example!, name!));
  }
});
