import { expect, test } from "@jest/globals";
import { fileURLToPath } from "node:url";
import { typeProject } from "./compileProject.js";

/**
 * The package's types as a host app compiles them: the fixtures must
 * compile, and every line marked `@ts-expect-error` must be an error of
 * its own (so misuse that starts compiling fails this test).
 */
const project = typeProject(fileURLToPath(new URL("./tsconfig.json", import.meta.url)));

test("the fixtures compile under strict NodeNext", () => {
  expect(project.fileNames.length).toBeGreaterThanOrEqual(2);
  expect(project.compile()).toEqual([]);
});

test("each misuse is an error of its own: without the directives, exactly the marked lines fail", () => {
  const expected = project.expectedErrors();
  expect(expected.size).toBeGreaterThanOrEqual(10);
  expect([...project.errorsWithoutDirectives()].sort()).toEqual([...expected].sort());
});
