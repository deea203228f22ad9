import { expect, test } from "@jest/globals";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * README code in the sections below must be the examples' code, which the
 * test suite runs: each block is preceded by `<!-- snippet: <file>#<region> -->`
 * and equals that `// #region` of the file.
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const README = readFileSync(`${ROOT}README.md`, "utf8");
const SECTIONS = ["## Testing your app (ioserver-oidc/testing)", "## Typed context"];

function section(heading: string): string {
  const start = README.split("\n").indexOf(heading);
  if (start < 0) throw new Error(`README.md has no "${heading}" section`);
  const lines = README.split("\n").slice(start + 1);
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

test.each(SECTIONS)("every code block of %s is a region of an example", (heading) => {
  const text = section(heading);
  const blocks = [...text.matchAll(/(?:<!-- snippet: (\S+?)#(\S+?) -->\n)?```ts\n([\s\S]*?)\n```/g)];
  expect(blocks.length).toBeGreaterThan(0);
  for (const [, file, name, code] of blocks) {
    expect({ file, name }).toEqual({ file: expect.stringMatching(/^examples\//), name: expect.any(String) });
    expect(code).toBe(region(file!, name!));
  }
});
