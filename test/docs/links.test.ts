import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { markdownFiles, REPO_ROOT } from "./repo-files";

/**
 * Every relative link and image in the repository's Markdown resolves: the
 * file exists, and an anchor (`#x` on the same page, `page.md#x` on another)
 * names a heading of the target as GitHub slugs it, or an explicit
 * `<a id>`/`<a name>`. External links (any `scheme:`) are not checked.
 */

// --- GitHub's heading slugs -------------------------------------------------

/**
 * GitHub's slug of a heading's text (github-slugger): lowercase, every
 * character but letters, marks, numbers, `_`, `-` and spaces dropped, then
 * each space a `-`.
 */
export function githubSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");
}

/** The text a heading renders to: code spans keep their content, links their text, markup goes. */
export function headingText(markdown: string): string {
  return markdown
    .split(/(`+)(?!`)([\s\S]*?)(?<!`)\1(?!`)/)
    .map((part, i) => {
      // split() with two groups yields [text, ticks, code, text, ticks, code, …].
      if (i % 3 === 1) return "";
      if (i % 3 === 2) return part.trim() === "" ? part : part.replace(/^ (.*) $/, "$1");
      return part
        .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
        .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
        .replace(/\[([^\]]*)\]\[[^\]]*\]/g, "$1")
        .replace(/<[^>]+>/g, "")
        .replace(/(^|[^\p{L}\p{N}_])(_{1,2})(?=\S)(.+?)(?<=\S)\2(?![\p{L}\p{N}_])/gu, "$1$3")
        .replace(/\*+/g, "")
        .replace(/\\([!-/:-@[-`{-~])/g, "$1")
        .replace(/&amp;/g, "&")
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&quot;/g, '"');
    })
    .join("")
    .trim();
}

/** Every anchor a page offers: heading slugs (repeats get -1, -2, …) and explicit ids and names. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const occurrences = new Map<string, number>();
  const lines = proseLines(markdown);
  for (const [i, line] of lines.entries()) {
    let text: string | undefined;
    const atx = /^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (atx) text = atx[1] ?? "";
    else if (/^ {0,3}(?:=+|-+)[ \t]*$/.test(line) && i > 0 && isParagraphLine(lines[i - 1] ?? "")) {
      text = lines[i - 1] ?? "";
    }
    if (text !== undefined) {
      const base = githubSlug(headingText(text));
      let slug = base;
      while (occurrences.has(slug)) {
        const count = (occurrences.get(base) ?? 0) + 1;
        occurrences.set(base, count);
        slug = `${base}-${count}`;
      }
      occurrences.set(slug, 0);
      anchors.add(slug);
    }
    for (const match of line.matchAll(/<[a-z][a-z0-9]*\b[^>]*?\s(?:id|name)\s*=\s*["']([^"']+)["']/gi)) {
      anchors.add(match[1] as string);
    }
  }
  return anchors;
}

/** A line that can be the text of a setext heading. */
function isParagraphLine(line: string): boolean {
  return (
    line.trim() !== "" &&
    !/^ {0,3}(?:#|>|[-*+] |\d+[.)] |\||<!--|```|~~~)/.test(line) &&
    !/^ {0,3}(?:=+|-+)[ \t]*$/.test(line)
  );
}

/**
 * The page's lines with what GitHub does not render as Markdown blanked out:
 * fenced code blocks (the fences stay, as empty lines) and HTML comments.
 * Line numbers are kept.
 */
function proseLines(markdown: string): string[] {
  const uncommented = markdown.replace(/<!--[\s\S]*?-->/g, (comment) => comment.replace(/[^\n]/g, " "));
  const lines = uncommented.split("\n");
  let fence: { char: string; length: number } | undefined;
  return lines.map((line) => {
    // Any indentation: a fence inside a list item is indented with it.
    const opening = /^[ \t]*(`{3,}|~{3,})/.exec(line);
    if (fence) {
      const closing = /^[ \t]*(`{3,}|~{3,})[ \t]*$/.exec(line);
      if (closing && closing[1]?.[0] === fence.char && (closing[1]?.length ?? 0) >= fence.length) fence = undefined;
      return "";
    }
    if (opening) {
      const marks = opening[1] as string;
      fence = { char: marks[0] as string, length: marks.length };
      return "";
    }
    return line;
  });
}

/** Code spans blanked out (same length), so their text is never taken for a link. */
function withoutCodeSpans(line: string): string {
  return line.replace(/(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, (span) => " ".repeat(span.length));
}

// --- Links --------------------------------------------------------------------

export interface Link {
  /** 1-based line of the page. */
  line: number;
  target: string;
}

/** Inline links and images, reference definitions, and HTML `href`/`src`, outside code and comments. */
export function linksOf(markdown: string): Link[] {
  const links: Link[] = [];
  for (const [i, raw] of proseLines(markdown).entries()) {
    const line = withoutCodeSpans(raw);
    const add = (target: string) => links.push({ line: i + 1, target });
    const definition = /^ {0,3}\[[^\]]+\]:[ \t]*(<[^>]*>|\S+)/.exec(line);
    if (definition) add(unbracket(definition[1] as string));
    for (let at = line.indexOf("]("); at !== -1; at = line.indexOf("](", at + 2)) {
      const target = destination(line, at + 2);
      if (target !== undefined) add(target);
    }
    for (const match of line.matchAll(/<(?:a|img|source)\b[^>]*?\s(?:href|src)\s*=\s*["']([^"']*)["']/gi)) {
      add(match[1] as string);
    }
  }
  return links;
}

/** An inline link's destination starting at `from` (just after `](`), or undefined if none is there. */
function destination(line: string, from: number): string | undefined {
  let i = from;
  while (line[i] === " " || line[i] === "\t") i++;
  if (line[i] === "<") {
    const end = line.indexOf(">", i);
    return end === -1 ? undefined : line.slice(i + 1, end);
  }
  let depth = 0;
  let end = i;
  for (; end < line.length; end++) {
    const ch = line[end];
    if (ch === "\\") end++;
    else if (ch === "(") depth++;
    else if (ch === ")") {
      if (depth === 0) break;
      depth--;
    } else if (ch === " " || ch === "\t") break;
  }
  return end > i || line[end] === ")" ? line.slice(i, end) : undefined;
}

const unbracket = (target: string) => (target.startsWith("<") ? target.slice(1, -1) : target);

/** What a page can read of another: its text if it is Markdown, or only that it exists. */
export interface Repository {
  /** The text of a Markdown file, by repository path; undefined if it does not exist. */
  markdown(path: string): string | undefined;
  exists(path: string): boolean;
}

const onDisk: Repository = {
  markdown: (path) => (existsSync(join(REPO_ROOT, path)) ? readFileSync(join(REPO_ROOT, path), "utf8") : undefined),
  exists: (path) => existsSync(join(REPO_ROOT, path)),
};

/** Every broken link of one page, each as `page:line: target — why`. */
export function brokenLinks(page: string, repo: Repository): string[] {
  const text = repo.markdown(page) ?? "";
  const broken: string[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchorsIn = (path: string) => {
    let anchors = anchorCache.get(path);
    if (!anchors) {
      anchors = anchorsOf(repo.markdown(path) ?? "");
      anchorCache.set(path, anchors);
    }
    return anchors;
  };
  for (const { line, target } of linksOf(text)) {
    // External: http(s), mailto and any other scheme, and protocol-relative URLs.
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) continue;
    const report = (why: string) => broken.push(`${page}:${line}: ${target} — ${why}`);
    const hash = target.indexOf("#");
    const rawPath = (hash === -1 ? target : target.slice(0, hash)).replace(/\?.*$/, "");
    const rawAnchor = hash === -1 ? undefined : target.slice(hash + 1);
    let pathPart: string;
    let anchor: string | undefined;
    try {
      pathPart = decodeURIComponent(rawPath);
      anchor = rawAnchor === undefined ? undefined : decodeURIComponent(rawAnchor);
    } catch {
      report("not a valid URL");
      continue;
    }
    let resolved = page;
    if (pathPart !== "") {
      const joined = pathPart.startsWith("/") ? normalize(pathPart.slice(1)) : normalize(join(dirname(page), pathPart));
      resolved = joined.split(sep).join("/").replace(/\/$/, "") || ".";
      if (resolved === ".." || resolved.startsWith("../")) {
        report("points outside the repository");
        continue;
      }
      if (!repo.exists(resolved)) {
        report(`${resolved} does not exist`);
        continue;
      }
    }
    if (anchor === undefined || !resolved.endsWith(".md")) continue;
    if (anchor === "") {
      report("empty anchor");
    } else if (!anchorsIn(resolved).has(anchor)) {
      report(`no heading or <a id> "${anchor}" in ${resolved}`);
    }
  }
  return broken;
}

// --- Tests --------------------------------------------------------------------

/** An in-memory repository for the checker's own tests. */
function memoryRepo(files: Record<string, string>): Repository {
  return {
    markdown: (path) => files[path],
    exists: (path) => path === "." || path in files || Object.keys(files).some((name) => name.startsWith(`${path}/`)),
  };
}

describe("GitHub's heading slugs", () => {
  it.each([
    ["Try it locally", "try-it-locally"],
    ["Layout change: `idx:` to `idx2:`", "layout-change-idx-to-idx2"],
    ['`POLICY` has a `"*"` entry; the README\'s example policies', "policy-has-a--entry-the-readmes-example-policies"],
    ["Shared secret (HS256)", "shared-secret-hs256"],
    ["OpenAI Realtime", "openai-realtime"],
    ["[Deepgram](https://deepgram.com) & _friends_", "deepgram--friends"],
    ["snake_case stays, **bold** goes", "snake_case-stays-bold-goes"],
    ["2026-11-23T16:28:37.193Z — 6ca283d — a run", "2026-11-23t162837193z--6ca283d--a-run"],
    ["Ünïcode Wörds → arrows", "ünïcode-wörds--arrows"],
  ])("slugs %j as %j", (heading, slug) => {
    expect(githubSlug(headingText(heading))).toBe(slug);
  });

  it("numbers repeated headings -1, -2, and takes explicit ids and names", () => {
    const anchors = anchorsOf(
      [
        "# Errors",
        "## Errors",
        "### Errors",
        "Setext heading",
        "--------------",
        '<a id="custom"></a>',
        '<a name="legacy"></a>',
        "```md",
        "# Not a heading",
        "```",
        "<!--",
        "# Not one either",
        "-->",
      ].join("\n"),
    );
    expect([...anchors].sort()).toEqual(["custom", "errors", "errors-1", "errors-2", "legacy", "setext-heading"]);
  });
});

describe("the link checker", () => {
  const repo = memoryRepo({
    "README.md": [
      "# Title",
      "[ok](docs/page.md#a-section) [self](#title) [dir](docs/) ![img](docs/pic.png)",
      "[gone](docs/missing.md) [bad anchor](docs/page.md#nope) [bad self](#untitled) ![gone](docs/none.png)",
      "[web](https://example.com/x.md#y) [mail](mailto:a@example.com) <https://example.com>",
      "`[in code](nowhere.md)`",
      "```",
      "[in a fence](nowhere.md)",
      "```",
      "<!-- [in a comment](nowhere.md) -->",
      '<a href="docs/page.md#a-section">html</a> <img src="docs/absent.png">',
      "[ref]: docs/page.md#missing-ref",
      "[out](../elsewhere.md)",
    ].join("\n"),
    "docs/page.md": "# Page\n\n## A section\n\n[up](../README.md#title) [up wrong](../README.md#titel)\n",
    "docs/pic.png": "",
  });

  it("reports each broken file, image and anchor, and only those", () => {
    expect(brokenLinks("README.md", repo)).toEqual([
      "README.md:3: docs/missing.md — docs/missing.md does not exist",
      'README.md:3: docs/page.md#nope — no heading or <a id> "nope" in docs/page.md',
      'README.md:3: #untitled — no heading or <a id> "untitled" in README.md',
      "README.md:3: docs/none.png — docs/none.png does not exist",
      "README.md:10: docs/absent.png — docs/absent.png does not exist",
      'README.md:11: docs/page.md#missing-ref — no heading or <a id> "missing-ref" in docs/page.md',
      "README.md:12: ../elsewhere.md — points outside the repository",
    ]);
  });

  it("resolves links relative to the page that holds them", () => {
    expect(brokenLinks("docs/page.md", repo)).toEqual([
      'docs/page.md:5: ../README.md#titel — no heading or <a id> "titel" in README.md',
    ]);
  });
});

const files = await markdownFiles();

describe("the repository's Markdown", () => {
  it("is found: the README, the docs and the results pages", () => {
    expect(files).toEqual(expect.arrayContaining(["README.md", "CHANGELOG.md", "docs/kv-schema.md"]));
    expect(files.filter((file) => file.startsWith("node_modules/") || file.startsWith("client/dist/"))).toEqual([]);
  });

  it.each(files)("%s: every relative link, image and anchor resolves", (file) => {
    const broken = brokenLinks(file, onDisk);
    expect(broken, `broken links:\n${broken.join("\n")}`).toEqual([]);
  });
});
