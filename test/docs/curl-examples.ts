import type { CodeBlock, InlineCode } from "./doc-examples";

/**
 * The `curl` examples of the docs, read the way test/docs/curl-examples.test.ts
 * runs them. The rules, which a doc writer follows:
 *
 * - A curl example is a fenced ```sh, ```bash or ```shell block with a `curl`
 *   command in it. A curl to the dev stack anywhere else (another block
 *   language, an inline code span, a comment) is a problem: it would never run.
 * - Each curl names its URL literally. A block whose curls all go to
 *   `http://127.0.0.1:8787` (the broker under `npm run dev`) or
 *   `http://127.0.0.1:8788` (the dev server) runs against the dev stack. A block
 *   whose curls all go elsewhere (`https://keys.example.com/healthz` after a
 *   deploy) is skipped. A block that mixes the two, or a curl to another local
 *   address (`localhost`, another port), is a problem.
 * - A comment `# → …` on its own line states what the curl before it answers:
 *   `# → 403 forbidden …` (status and error code; the rest is prose),
 *   `# → 400 {"error":{…}}` (status and body), `# → {"vendor":"soniox",…}`
 *   (a 2xx status and body), or `# → 201`. Without one, the curl must answer 2xx.
 *   A body sketch is JSON with `…` for what varies: `"…"` any string,
 *   `"temp:…"` a string of that shape, `…` as a value any value, and `…` as the
 *   last member or element "and more". An object without that last `…` must
 *   have exactly the keys shown. An NDJSON answer is matched by its last line.
 */

/** Block languages whose curl examples run. */
export const SHELL_LANGS = new Set(["sh", "bash", "shell"]);

/** The two local services a curl example may call: the broker and the dev server of `npm run dev`. */
export const DOC_BROKER = "127.0.0.1:8787";
export const DOC_DEV_SERVER = "127.0.0.1:8788";

/** What a `# →` comment says a curl answers. */
export interface Expectation {
  /** The exact status; undefined: any 2xx. */
  status?: number;
  /** The error code of a `{"error":{"code"}}` body. */
  code?: string;
  /** The body sketch, compiled (see `compileSketch`). */
  body?: unknown;
  text: string;
}

/** One `curl` command in a block. */
export interface CurlCommand {
  /** 1-based lines of the block that the command spans (with its continuation lines). */
  firstLine: number;
  lastLine: number;
  /** `file:line` of its first line. */
  where: string;
  urls: string[];
  expectation?: Expectation;
}

export interface BlockAnalysis {
  curls: CurlCommand[];
  problems: string[];
}

/** `local`: every curl goes to the dev stack; `remote`: none does; `none`: no curl command at all. */
export type BlockKind = "local" | "remote" | "none";

const LOCAL_HOST = /^(?:https?|wss?):\/\/(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?(?:[/?#]|$)/;
const STACK_URL = new RegExp(
  `^http://(?:${DOC_BROKER.replace(/\./g, "\\.")}|${DOC_DEV_SERVER.replace(/\./g, "\\.")})(?:[/?#]|$)`,
);
const MENTIONS_LOCAL = /127\.0\.0\.1|localhost|\[::1\]/;
const CURL_WORD = /\bcurl\b/;

/** The block's shell, with `curl` at a command position: after a line start, `;`, `|`, `&`, `(`, `$(`, `{` or a keyword. */
const CURL_COMMAND = /(?:^|[;|&({]|\$\(|\b(?:then|do|else|time)\s|!\s)\s*curl(?=\s|$)/g;

/** curl options whose next word is their value, not a URL (`--url` is the exception: its value is one). */
const VALUE_OPTIONS = new Set(
  [
    "header",
    "data",
    "data-raw",
    "data-binary",
    "data-urlencode",
    "data-ascii",
    "json",
    "output",
    "user",
    "referer",
    "user-agent",
    "request",
    "write-out",
    "dump-header",
    "cookie",
    "cookie-jar",
    "form",
    "upload-file",
    "max-time",
    "connect-timeout",
    "retry",
    "proxy",
    "resolve",
    "cacert",
    "config",
    "range",
    "oauth2-bearer",
  ].map((name) => `--${name}`),
);
const SHORT_VALUE_OPTIONS = new Set("HdouAeXwDbcFTmxrKEC".split(""));

/** Whether curl calls the broker or the dev server of `npm run dev` at this URL. */
export function isStackUrl(url: string): boolean {
  return STACK_URL.test(url);
}

/** Where a block may run, from its language and the URLs of its curl commands. */
export function blockKind(block: CodeBlock, analysis: BlockAnalysis): BlockKind {
  if (!SHELL_LANGS.has(block.lang) || analysis.curls.length === 0) return "none";
  const urls = analysis.curls.flatMap((curl) => curl.urls);
  return urls.some((url) => STACK_URL.test(url)) ? "local" : "remote";
}

/** Every problem with a block, whatever its language: a curl to the stack that would not run, or an unreadable `# →`. */
export function analyseBlock(block: CodeBlock): BlockAnalysis {
  const problems: string[] = [];
  /** `file:line` of a line of the block (the fence is `block.line`). */
  const at = (blockLine: number) => `${block.file}:${block.line + blockLine}`;
  if (!SHELL_LANGS.has(block.lang)) {
    const localCurl = logicalLines(block.text).find(
      (line) => CURL_WORD.test(line.text) && MENTIONS_LOCAL.test(line.text),
    );
    if (localCurl) {
      problems.push(
        `${at(localCurl.first)}: a \`${block.lang || "(no language)"}\` block has a curl to a local address; only \`sh\`, \`bash\` and \`shell\` blocks run`,
      );
    }
    return { curls: [], problems };
  }

  const curls: CurlCommand[] = [];
  for (const line of logicalLines(block.text)) {
    const { code, comment } = splitComment(line.text);
    const arrow = /^#\s*→\s*(.*)$/.exec(comment.trim());
    if (code.trim() === "" && arrow) {
      const curl = curls.at(-1);
      if (!curl) problems.push(`${at(line.first)}: a \`# →\` comment with no curl before it`);
      else if (curl.expectation) problems.push(`${at(line.first)}: a second \`# →\` comment for one curl`);
      else {
        const parsed = parseExpectation(arrow[1] as string);
        if (typeof parsed === "string") problems.push(`${at(line.first)}: ${parsed}`);
        else curl.expectation = parsed;
      }
      continue;
    }
    if (!arrow && CURL_WORD.test(comment) && MENTIONS_LOCAL.test(comment)) {
      problems.push(`${at(line.first)}: a curl to a local address in a comment never runs; make it a command`);
    }
    for (const match of code.matchAll(CURL_COMMAND)) {
      const start = (match.index ?? 0) + match[0].length;
      const urls = urlArguments(shellWords(code.slice(start)));
      if (urls.length === 0) problems.push(`${at(line.first)}: a curl without a literal http(s) URL`);
      for (const url of urls) {
        if (LOCAL_HOST.test(url) && !STACK_URL.test(url)) {
          problems.push(`${at(line.first)}: ${url} is not ${DOC_BROKER} or ${DOC_DEV_SERVER}, so no test runs it`);
        }
      }
      curls.push({ firstLine: line.first, lastLine: line.last, where: at(line.first), urls });
    }
  }
  const urls = curls.flatMap((curl) => curl.urls);
  if (urls.some((url) => STACK_URL.test(url)) && urls.some((url) => !LOCAL_HOST.test(url))) {
    problems.push(`${at(1)}: a block mixes curls to the dev stack with curls elsewhere; split it`);
  }
  return { curls, problems };
}

/** Inline code spans with a curl to a local address: the test cannot run those. */
export function inlineLocalCurl(span: InlineCode): boolean {
  return CURL_WORD.test(span.text) && MENTIONS_LOCAL.test(span.text);
}

interface LogicalLine {
  text: string;
  first: number;
  last: number;
}

/** The block's lines with backslash continuations joined, and the 1-based lines each spans. */
function logicalLines(text: string): LogicalLine[] {
  const lines = text.split("\n");
  const joined: LogicalLine[] = [];
  for (let index = 0; index < lines.length; index++) {
    const first = index + 1;
    let line = lines[index] as string;
    while (/(^|[^\\])\\$/.test(line) && index + 1 < lines.length) {
      line = `${line.slice(0, -1)} ${lines[++index] as string}`;
    }
    joined.push({ text: line, first, last: index + 1 });
  }
  return joined;
}

/** A line's code and its comment (from an unquoted `#` that starts a word). */
function splitComment(line: string): { code: string; comment: string } {
  let quote: string | null = null;
  for (let index = 0; index < line.length; index++) {
    const char = line[index] as string;
    if (quote) {
      if (char === "\\" && quote === '"') index++;
      else if (char === quote) quote = null;
    } else if (char === "\\") index++;
    else if (char === "'" || char === '"') quote = char;
    else if (char === "#" && (index === 0 || /\s/.test(line[index - 1] as string))) {
      return { code: line.slice(0, index), comment: line.slice(index) };
    }
  }
  return { code: line, comment: "" };
}

/** The shell words of one command, unquoted, up to the first unquoted `;`, `|`, `&`, `)`, `<` or `>`. */
function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (let index = 0; index < text.length; index++) {
    const char = text[index] as string;
    if (quote) {
      if (char === quote) quote = null;
      else if (char === "\\" && quote === '"' && /["\\$`]/.test(text[index + 1] ?? "")) word += text[++index] as string;
      else word += char;
      continue;
    }
    if (/\s/.test(char)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (/[;|&)<>]/.test(char)) {
      break;
    } else if (char === "'" || char === '"') {
      quote = char;
      word ??= "";
    } else if (char === "\\") {
      word = (word ?? "") + (text[++index] ?? "");
    } else {
      word = (word ?? "") + char;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** The words curl takes as URLs: those starting with a scheme that are not an option's value. */
function urlArguments(words: string[]): string[] {
  const urls: string[] = [];
  for (let index = 0; index < words.length; index++) {
    const word = words[index] as string;
    if (word === "--url") {
      if (words[index + 1] !== undefined) urls.push(words[index + 1] as string);
      index++;
    } else if (
      VALUE_OPTIONS.has(word) ||
      (/^-[A-Za-z]+$/.test(word) && SHORT_VALUE_OPTIONS.has(word.at(-1) as string))
    ) {
      index++;
    } else if (/^https?:\/\//.test(word)) {
      urls.push(word);
    }
  }
  return urls;
}

/** A `# →` comment's text as an expectation, or what is wrong with it. */
export function parseExpectation(text: string): Expectation | string {
  const trimmed = text.trim();
  const statusMatch = /^(\d{3})(?=\s|$)\s*/.exec(trimmed);
  const status = statusMatch ? Number(statusMatch[1]) : undefined;
  const rest = trimmed.slice(statusMatch?.[0].length ?? 0);
  if (rest.startsWith("{") || rest.startsWith("[")) {
    const end = sketchEnd(rest);
    if (end === null) return `unreadable \`# →\` sketch: ${rest}`;
    const body = compileSketch(rest.slice(0, end));
    if (body === undefined) return `unreadable \`# →\` sketch: ${rest.slice(0, end)}`;
    return { status, body, text: trimmed };
  }
  const code = /^([a-z][a-z0-9_]*)(?=\W|$)/.exec(rest)?.[1];
  if (status !== undefined && status >= 400 && code !== undefined) return { status, code, text: trimmed };
  if (status !== undefined) return { status, text: trimmed };
  return `a \`# →\` comment must start with a status or a JSON sketch: ${trimmed}`;
}

/** Where the bracketed sketch at the start of `text` ends (past its closing bracket), or null. */
function sketchEnd(text: string): number | null {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index] as string;
    if (inString) {
      if (char === "\\") index++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === "{" || char === "[") depth++;
    else if (char === "}" || char === "]") {
      depth--;
      if (depth === 0) return index + 1;
    }
  }
  return null;
}

/** In a compiled sketch: any value at all. */
export const ANY = "\u0000any";
/** In a compiled sketch: the last element of an array, or a key of an object, meaning "and more". */
export const MORE = "\u0000more";

/**
 * The sketch as JSON with markers: a bare `…` becomes ANY as a value and MORE as
 * an object member or array element; strings keep their `…` (matched as a
 * wildcard). Undefined when it is not JSON even so.
 */
export function compileSketch(sketch: string): unknown {
  let json = "";
  const open: string[] = [];
  let inString = false;
  let lastSignificant = "";
  for (let index = 0; index < sketch.length; index++) {
    const char = sketch[index] as string;
    if (inString) {
      json += char;
      if (char === "\\") json += sketch[++index] ?? "";
      else if (char === '"') inString = false;
      continue;
    }
    if (char === "…") {
      const container = open.at(-1);
      if (container === "{" && lastSignificant !== ":") json += `${JSON.stringify(MORE)}:true`;
      else if (container === "[") json += JSON.stringify(MORE);
      else json += JSON.stringify(ANY);
      lastSignificant = '"';
      continue;
    }
    if (char === '"') inString = true;
    if (char === "{" || char === "[") open.push(char);
    if (char === "}" || char === "]") open.pop();
    if (!/\s/.test(char)) lastSignificant = char;
    json += char;
  }
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

/** Where `actual` differs from the compiled sketch `expected`, as readable lines; empty when it matches. */
export function sketchMismatches(expected: unknown, actual: unknown, path = "$"): string[] {
  if (expected === ANY) return [];
  if (typeof expected === "string") {
    if (typeof actual !== "string")
      return [`${path}: expected a string like ${JSON.stringify(expected)}, got ${show(actual)}`];
    const pattern = new RegExp(`^${expected.split("…").map(escapeRegExp).join("[\\s\\S]*")}$`);
    return pattern.test(actual) ? [] : [`${path}: expected ${JSON.stringify(expected)}, got ${show(actual)}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array, got ${show(actual)}`];
    const more = expected.at(-1) === MORE;
    const items = more ? expected.slice(0, -1) : expected;
    const lengthOk = more ? actual.length >= items.length : actual.length === items.length;
    if (!lengthOk)
      return [`${path}: expected ${more ? "at least " : ""}${items.length} elements, got ${actual.length}`];
    return items.flatMap((item, index) => sketchMismatches(item, actual[index], `${path}[${index}]`));
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
      return [`${path}: expected an object, got ${show(actual)}`];
    }
    const wanted = expected as Record<string, unknown>;
    const got = actual as Record<string, unknown>;
    const problems: string[] = [];
    for (const [key, value] of Object.entries(wanted)) {
      if (key === MORE) continue;
      if (!(key in got)) problems.push(`${path}.${key}: missing`);
      else problems.push(...sketchMismatches(value, got[key], `${path}.${key}`));
    }
    if (!(MORE in wanted)) {
      for (const key of Object.keys(got)) {
        if (!(key in wanted)) problems.push(`${path}.${key}: not in the sketch (end it with …)`);
      }
    }
    return problems;
  }
  return Object.is(expected, actual) ? [] : [`${path}: expected ${show(expected)}, got ${show(actual)}`];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
