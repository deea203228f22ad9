import { readFileSync } from "node:fs";
import ts from "typescript";

/** Parsed library files, shared by every compilation in a test file (parsing them is most of the time). */
const parsed = new Map<string, ts.SourceFile | undefined>();

/** The `// @ts-expect-error` directive: the line after it must be an error of its own. */
export const DIRECTIVE = "// @ts-expect-error";

export interface Project {
  fileNames: string[];
  /** Diagnostics of the project, its own files passed through `rewrite` first. */
  compile(rewrite?: (source: string) => string): string[];
  /** `file:line` of every line under a directive, relative to test/types/. */
  expectedErrors(): Set<string>;
  /** `file:line` of every error once the directives are neutralized. */
  errorsWithoutDirectives(): Set<string>;
}

const where = (fileName: string): string => fileName.split("/test/types/")[1] ?? fileName;

/**
 * A TypeScript project as a host app compiles it (its tsconfig.json), for
 * tests that the package's types accept what they must and refuse what
 * they must.
 */
export function typeProject(configPath: string): Project {
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  })!;
  const compile = (rewrite: (source: string) => string = (source) => source): string[] => {
    const host = ts.createCompilerHost(config.options);
    const own = new Set(config.fileNames.map((f) => ts.sys.resolvePath(f)));
    const readFile = host.readFile.bind(host);
    host.readFile = (file) => (own.has(ts.sys.resolvePath(file)) ? rewrite(readFileSync(file, "utf8")) : readFile(file));
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (file, language, onError) => {
      if (own.has(ts.sys.resolvePath(file))) return ts.createSourceFile(file, host.readFile(file)!, language);
      if (!parsed.has(file)) parsed.set(file, getSourceFile(file, language, onError));
      return parsed.get(file);
    };
    return ts.getPreEmitDiagnostics(ts.createProgram(config.fileNames, config.options, host)).map((d) => {
      const at = d.file ? `${where(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : "";
      return `${at} TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
    });
  };
  return {
    fileNames: config.fileNames,
    compile,
    expectedErrors() {
      const expected = new Set<string>();
      for (const file of config.fileNames) {
        readFileSync(file, "utf8")
          .split("\n")
          .forEach((line, index) => {
            if (line.trim().startsWith(DIRECTIVE)) expected.add(`${where(file)}:${index + 2}`);
          });
      }
      return expected;
    },
    errorsWithoutDirectives() {
      return new Set(compile((source) => source.replaceAll(DIRECTIVE, "// (expected error)")).map((d) => d.split(" ")[0]!));
    },
  };
}
