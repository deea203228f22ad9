import { expect, test } from "@jest/globals";
import { fileURLToPath } from "node:url";
import { typeProject } from "./compileProject.js";

/**
 * Every TypeScript snippet of ioserver-oidc 0.1.4's README and guides
 * (docs-site/content/docs/ of x42en/ioserver-oidc), copied verbatim into
 * v0.1.4/, compiles against this package in a strict NodeNext host app.
 * The snippets that were wrong for 0.1.4 too are marked `@ts-expect-error`
 * with the reason, and must stay errors of their own.
 *
 * The types page's augmentation of Fastify and Socket.IO declares the
 * fields non-optional for the whole program, so it is compiled in a project
 * of its own (v0.1.4-augmented/).
 */
const snippets = typeProject(fileURLToPath(new URL("./v0.1.4/tsconfig.json", import.meta.url)));
const augmented = typeProject(fileURLToPath(new URL("./v0.1.4-augmented/tsconfig.json", import.meta.url)));

test("the README's and the guides' snippets compile under strict NodeNext", () => {
  expect(snippets.fileNames.map((f) => f.split("/").pop()).sort()).toEqual(["apiReference.ts", "guides.ts", "introduction.ts", "quickStart.ts", "readme.ts"]);
  expect(snippets.compile()).toEqual([]);
});

test("the snippets that were wrong for 0.1.4 too are exactly the marked lines", () => {
  const expected = snippets.expectedErrors();
  // DebugController's `this.app.getManager()` and TokenWatcher's `this.app`: ioserver 2.x has neither.
  expect([...expected].map((at) => at.split(":")[0])).toEqual(["v0.1.4/guides.ts", "v0.1.4/guides.ts"]);
  expect([...snippets.errorsWithoutDirectives()].sort()).toEqual([...expected].sort());
});

test("the types page's augmentation of FastifyRequest and Socket merges with the package's own", () => {
  expect(augmented.fileNames).toHaveLength(2);
  expect(augmented.compile()).toEqual([]);
});
