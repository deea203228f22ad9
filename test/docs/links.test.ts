import { expect, test } from "@jest/globals";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Every link of README.md, CHANGELOG.md and docs/*.md leads somewhere: a file of the repository, and a heading of it when the link
 * names one. README is also the npm page, where a relative link has no repository to resolve against, so README links
 * to repository files are absolute GitHub URLs (checked against the files here); docs/ pages are read on GitHub and
 * link relatively.
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const REPO_URL = "https://github.com/x42en/ioserver-oidc/";
const DOCS = readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`);
const PAGES = ["README.md", "CHANGELOG.md", ...DOCS];

/** Markdown without code: a `](` inside a code span or block is not a link. */
const prose = (markdown: string): string => markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");

const links = (file: string): string[] =>
  [...prose(readFileSync(join(ROOT, file), "utf8")).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);

/** GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const ids = new Set<string>();
  const text = readFileSync(file, "utf8").replace(/^```[\s\S]*?^```/gm, "");
  for (const [, heading] of text.matchAll(/^#{1,6} (.+)$/gm)) {
    const base = heading!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

/** Why `target` (a link of `file`) leads nowhere, or undefined when it resolves. */
function problem(file: string, target: string): string | undefined {
  if (/^(mailto:|https?:\/\/(?!github\.com\/x42en\/ioserver-oidc\/))/.test(target)) return undefined; // elsewhere
  let path: string;
  let anchor: string | undefined;
  // 0.1.4's guides, which docs/migrating-from-0.1.md cites, are in the repository's 0.1.x history, not in this tree.
  if (target.startsWith(`${REPO_URL}tree/main/docs-site/`)) return undefined;
  if (target.startsWith(REPO_URL)) {
    const match = /^(?:blob|tree)\/main\/([^#]*)(?:#(.*))?$/.exec(target.slice(REPO_URL.length));
    if (!match) return "a repository URL must be blob/main/<path> or tree/main/<path>";
    path = join(ROOT, match[1]!);
    anchor = match[2];
  } else if (file === "README.md" && !target.startsWith("#")) {
    return "README is the npm page too: link repository files with an absolute GitHub URL";
  } else {
    const [relativePath, hash] = target.split("#");
    path = relativePath ? join(ROOT, dirname(file), relativePath) : join(ROOT, file);
    anchor = hash;
  }
  if (!existsSync(path)) return `no file ${relative(ROOT, path)}`;
  if (anchor !== undefined && statSync(path).isFile() && path.endsWith(".md") && !anchors(path).has(anchor)) {
    return `no heading #${anchor} in ${relative(ROOT, path)}`;
  }
  return undefined;
}

test.each(PAGES)("every link of %s resolves", (file) => {
  const broken = links(file).flatMap((target) => {
    const why = problem(file, target);
    return why ? [`${target}: ${why}`] : [];
  });
  expect(broken).toEqual([]);
});

test("README links every page of docs/", () => {
  const readmeLinks = links("README.md");
  const unlinked = DOCS.filter((page) => !readmeLinks.some((l) => l.startsWith(`${REPO_URL}blob/main/${page}`)));
  expect(unlinked).toEqual([]);
});
