import { expect, test } from "@jest/globals";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import ts from "typescript";

/**
 * The package's types as a host app compiles them: the fixtures must
 * compile, and every line marked `@ts-expect-error` must be an error of
 * its own (so misuse that starts compiling fails this test).
 */
const configPath = fileURLToPath(new URL("./tsconfig.json", import.meta.url));
const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n")); } })!;
const DIRECTIVE = "// @ts-expect-error";
/** Parsed library files, shared by both compilations (parsing them is most of the time). */
const parsed = new Map<string, ts.SourceFile | undefined>();

function compile(rewrite: (source: string) => string = (source) => source): ts.Diagnostic[] {
  const host = ts.createCompilerHost(config.options);
  const fixtures = new Set(config.fileNames.map((f) => ts.sys.resolvePath(f)));
  const readFile = host.readFile.bind(host);
  host.readFile = (file) => (fixtures.has(ts.sys.resolvePath(file)) ? rewrite(readFileSync(file, "utf8")) : readFile(file));
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language, onError) => {
    if (fixtures.has(ts.sys.resolvePath(file))) return ts.createSourceFile(file, host.readFile(file)!, language);
    if (!parsed.has(file)) parsed.set(file, getSourceFile(file, language, onError));
    return parsed.get(file);
  };
  return [...ts.getPreEmitDiagnostics(ts.createProgram(config.fileNames, config.options, host))];
}

const describeAll = (diagnostics: readonly ts.Diagnostic[]): string[] =>
  diagnostics.map((d) => {
    const where = d.file ? `${d.file.fileName.split("/test/types/")[1]}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : "";
    return `${where} TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
  });

test("the fixtures compile under strict NodeNext", () => {
  expect(config.fileNames.length).toBeGreaterThanOrEqual(2);
  expect(describeAll(compile())).toEqual([]);
});

test("each misuse is an error of its own: without the directives, exactly the marked lines fail", () => {
  const expected = new Set<string>();
  for (const file of config.fileNames) {
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((line, index) => {
        if (line.trim().startsWith(DIRECTIVE)) expected.add(`${file.split("/test/types/")[1]}:${index + 2}`);
      });
  }
  expect(expected.size).toBeGreaterThanOrEqual(10);
  const failing = new Set(describeAll(compile((source) => source.replaceAll(DIRECTIVE, "// (expected error)"))).map((d) => d.split(" ")[0]!));
  expect([...failing].sort()).toEqual([...expected].sort());
});
