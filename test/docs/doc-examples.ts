import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDevVars, wranglerVars } from "../../scripts/config-values";
import { vendorIds } from "../../src/vendors/registry";
import { markdownFiles, REPO_ROOT } from "./repo-files";

/**
 * The configuration and `POLICY` examples of the repo's Markdown, read as the
 * broker's own tools read them: TOML through wrangler (as `npm run deploy` and
 * `npm run check-config` read wrangler.toml) and `.dev.vars` lines through
 * `parseDevVars` (as check-config reads a file).
 */

/** A fenced code block, with where it is and the `<!-- config-example: shows A, B -->` note before it, if any. */
export interface CodeBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  text: string;
  /** The variables a note before the block says the example breaks on purpose. */
  shows: string[];
}

/** An inline code span outside fenced blocks. */
export interface InlineCode {
  file: string;
  line: number;
  text: string;
}

export interface MarkdownCode {
  blocks: CodeBlock[];
  inline: InlineCode[];
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w.+-]*)/;
const SHOWS_NOTE = /^<!--\s*config-example:\s*shows\s+([A-Z0-9_,\s]+?)\s*-->$/;

/**
 * Every Markdown file a reader may act on. CHANGELOG.md is left out: it is
 * history, and may quote a setting as it was.
 */
export async function docFiles(): Promise<string[]> {
  return (await markdownFiles()).filter((file) => file !== "CHANGELOG.md");
}

/** The fenced blocks and inline code spans of one Markdown text. */
export function markdownCode(file: string, markdown: string): MarkdownCode {
  const lines = markdown.split("\n");
  const blocks: CodeBlock[] = [];
  const inline: InlineCode[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    const fence = FENCE.exec(line);
    if (!fence) {
      for (const match of line.matchAll(/(?<!`)`([^`]+)`(?!`)/g)) {
        inline.push({ file, line: index + 1, text: match[1] as string });
      }
      continue;
    }
    const [, indent = "", marker = "", lang = ""] = fence;
    const body: string[] = [];
    let end = index + 1;
    while (end < lines.length && !(lines[end] as string).trim().startsWith(marker)) {
      const text = lines[end] as string;
      body.push(text.startsWith(indent) ? text.slice(indent.length) : text.trimStart());
      end++;
    }
    blocks.push({ file, line: index + 1, lang, text: body.join("\n"), shows: showsNote(lines, index) });
    index = end;
  }
  return { blocks, inline };
}

/** The variables named by a `<!-- config-example: shows … -->` note on the last non-blank line before `fenceIndex`. */
function showsNote(lines: string[], fenceIndex: number): string[] {
  for (let index = fenceIndex - 1; index >= 0; index--) {
    const line = (lines[index] as string).trim();
    if (line === "") continue;
    const note = SHOWS_NOTE.exec(line);
    return note ? (note[1] as string).split(",").map((name) => name.trim()) : [];
  }
  return [];
}

/** The code of every doc file. */
export async function allDocCode(): Promise<MarkdownCode> {
  const blocks: CodeBlock[] = [];
  const inline: InlineCode[] = [];
  for (const file of await docFiles()) {
    const code = markdownCode(file, await readFile(REPO_ROOT + file, "utf8"));
    blocks.push(...code.blocks);
    inline.push(...code.inline);
  }
  return { blocks, inline };
}

export function where(code: { file: string; line: number }): string {
  return `${code.file}:${code.line}`;
}

/** A wrangler.toml excerpt: a ```toml block. */
export function isTomlExample(block: CodeBlock): boolean {
  return block.lang === "toml";
}

const SETTING_LINE = /^\s*(?:export\s+)?([A-Z][A-Z0-9_]*)\s*=/;

/**
 * A `.dev.vars` excerpt: a block whose first line is the comment `# .dev.vars`,
 * a ```dotenv block, or a block of nothing but comments and `NAME=value` lines
 * of which one sets a known setting.
 */
export function isDevVarsExample(block: CodeBlock, knownSettings: ReadonlySet<string>): boolean {
  if (block.lang === "toml") return false;
  if (block.lang === "dotenv" || /^#\s*\.dev\.vars\b/.test(block.text.trimStart())) return true;
  const lines = block.text.split("\n").filter((line) => !/^\s*(#|$)/.test(line));
  return (
    lines.length > 0 &&
    lines.every((line) => SETTING_LINE.test(line)) &&
    lines.some((line) => knownSettings.has(SETTING_LINE.exec(line)?.[1] ?? ""))
  );
}

/** The vars a wrangler.toml excerpt sets, read by wrangler itself. Throws on TOML or config that wrangler refuses. */
export async function tomlVars(toml: string): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), "doc-example-"));
  try {
    const path = join(dir, "wrangler.toml");
    await writeFile(path, toml);
    return await wranglerVars({ config: path });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The vars a `.dev.vars` excerpt sets, read as `npm run check-config` reads a file. */
export function devVarsValues(text: string): Record<string, string> {
  return parseDevVars(text);
}

/**
 * What a configuration excerpt sets: a wrangler.toml excerpt read by wrangler,
 * a `.dev.vars` excerpt read as check-config reads it; undefined for any other
 * block. An excerpt its reader refuses gives `error`, naming where it is.
 */
export async function exampleValues(
  block: CodeBlock,
  knownSettings: ReadonlySet<string>,
): Promise<{ kind: "wrangler.toml" | ".dev.vars"; values?: Record<string, unknown>; error?: string } | undefined> {
  const kind = isTomlExample(block)
    ? "wrangler.toml"
    : isDevVarsExample(block, knownSettings)
      ? ".dev.vars"
      : undefined;
  if (kind === undefined) return undefined;
  try {
    return { kind, values: kind === "wrangler.toml" ? await tomlVars(block.text) : devVarsValues(block.text) };
  } catch (error) {
    return { kind, error: `${where(block)}: ${kind} excerpt unreadable: ${(error as Error).message}` };
  }
}

/** The vars and secrets the broker reads: `.dev.vars.example` (set or commented out) and wrangler.toml's `[vars]`. */
export async function knownSettings(): Promise<Set<string>> {
  const example = await readFile(`${REPO_ROOT}.dev.vars.example`, "utf8");
  const names = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1] as string);
  return new Set([...names, ...Object.keys(await wranglerVars({ config: `${REPO_ROOT}wrangler.toml` }))]);
}

const RULE_KEYS = new Set(["enabled", "ttl_seconds", "daily_quota", "options", "require_claim"]);
const POLICY_KEYS = new Set<string>([...vendorIds, "*"]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * True for JSON that reads as a `POLICY`: an object of objects, keyed by at
 * least one vendor id or `"*"`, or whose entries all look like vendor rules
 * (so that an example naming a misspelt vendor is caught, not skipped).
 */
export function looksLikePolicy(value: unknown): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  const entries = Object.entries(value);
  if (entries.length === 0 || !entries.every(([, rule]) => isPlainObject(rule))) return false;
  return (
    entries.some(([key]) => POLICY_KEYS.has(key)) ||
    entries.every(([, rule]) => Object.keys(rule as object).every((key) => RULE_KEYS.has(key)))
  );
}

export function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
