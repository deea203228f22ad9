import { expect, test } from "@jest/globals";
import { readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

/** Every module the given entry loads, followed through relative imports; and the packages it names. */
function graph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    // Value imports and re-exports only: `import type` is erased and loads nothing.
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']/gm)) {
      const specifier = match[1] as string;
      if (specifier.startsWith(".")) visit(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
      else packages.add(specifier);
    }
  };
  visit(resolve(SRC, entry));
  return { files, packages };
}

test("an app that does not use Redis never loads it: the main entry reaches nothing in src/redis/ and no Redis package", () => {
  const { files, packages } = graph("index.ts");
  // The walk did follow the graph (a broken pattern would find nothing and pass).
  expect(files.size).toBeGreaterThan(20);
  expect([...files].map((f) => relative(SRC, f)).filter((f) => f.startsWith("redis/"))).toEqual([]);
  expect([...packages].filter((p) => /redis/.test(p))).toEqual([]);
});

test("the ./redis entry itself imports no Redis package either: the host passes its own client", () => {
  const { files, packages } = graph("redis/index.ts");
  expect([...files].some((f) => relative(SRC, f) === "redis/RedisRevocationStore.ts")).toBe(true);
  expect([...packages].filter((p) => /redis/.test(p))).toEqual([]);
});
