import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { devToken } from "../../dev/dev-token";
import { DEV_ADMIN_TOKEN } from "../../dev/dev-vars";
import {
  analyseBlock,
  type BlockAnalysis,
  blockKind,
  type CurlCommand,
  DOC_BROKER,
  DOC_DEV_SERVER,
  inlineLocalCurl,
  isStackUrl,
  sketchMismatches,
} from "./curl-examples";
import { type CodeBlock, markdownCode, where } from "./doc-examples";
import { markdownFiles, REPO_ROOT } from "./repo-files";
// The `stack` the sdk-helpers project's global setup provides.
import type {} from "../sdk-helpers/global-setup";

/**
 * Every `curl` example in the repo's Markdown runs against the dev stack (the
 * broker under `wrangler dev` and the dev server, started by this project's
 * global setup) and answers what the doc says. test/docs/curl-examples.ts has
 * the rules a doc follows: which blocks run, which are skipped, and how a
 * `# →` comment states an answer.
 *
 * Each block runs on its own in bash (`-e -o pipefail`), in an empty directory,
 * with `USER_JWT` (the dev identity's token for alice, as `npm run token --
 * --sub alice` prints it) and `ADMIN_TOKEN` (the dev admin token) set, and with
 * the documented ports rewritten to the stack's. `curl` is a shell function
 * that runs the real curl and keeps each answer's status and body for the checks.
 * `npm` runs only `npm run token`, from the repo; `npx` and `wrangler` do not run.
 */

/** The user the docs' tokens are for. */
const DOC_USER = "alice";
/** A stuck example is killed after this long; the checks then report what it had done. */
const BLOCK_TIMEOUT_MS = 120_000;
/** The burst limit (wrangler.toml: 30 mints a minute per user) answers `Retry-After` in seconds; wait at most this. */
const MAX_RETRY_AFTER_SECONDS = 61;

interface Example {
  block: CodeBlock;
  analysis: BlockAnalysis;
}

const runnable: Example[] = [];
const skipped: Example[] = [];
const problems: string[] = [];
for (const file of await markdownFiles()) {
  const code = markdownCode(file, await readFile(REPO_ROOT + file, "utf8"));
  for (const span of code.inline) {
    if (inlineLocalCurl(span))
      problems.push(`${where(span)}: \`${span.text}\` in running text never runs; make it a block`);
  }
  for (const block of code.blocks) {
    const analysis = analyseBlock(block);
    problems.push(...analysis.problems);
    const kind = blockKind(block, analysis);
    if (kind === "local") runnable.push({ block, analysis });
    else if (analysis.curls.some((curl) => curl.urls.some(isStackUrl))) {
      problems.push(`${where(block)}: a curl to the dev stack in a block this test would not run`);
    } else if (kind === "remote") skipped.push({ block, analysis });
  }
}

/** Sourced by bash (BASH_ENV) before each example. */
const PRELUDE = [
  "__doc_curl_bin=$(type -P curl)",
  "curl() {",
  "  local call",
  '  call=$(mktemp -d "$DOC_CURL_LOG/call.XXXXXX")',
  '  echo "${BASH_LINENO[0]}" > "$call/line"',
  '  { "$__doc_curl_bin" "$@" --max-time 60 --dump-header "$call/headers" && echo 0 > "$call/rc" || echo "$?" > "$call/rc"; } | tee "$call/body"',
  '  return "$(cat "$call/rc")"',
  "}",
  "npm() {",
  '  case " $* " in',
  '    *" token "*) (cd "$DOC_REPO" && command npm "$@") ;;',
  '    *) echo "curl-examples test: a doc example may run only npm run token, not npm $*" >&2; return 127 ;;',
  "  esac",
  "}",
  'npx() { echo "curl-examples test: a doc example may not run npx $*" >&2; return 127; }',
  'wrangler() { echo "curl-examples test: a doc example may not run wrangler $*" >&2; return 127; }',
  "",
].join("\n");

/** One curl the example ran: the block line it ran from, and its exit code, status and body. */
interface CurlCall {
  line: number;
  rc: number;
  status: number | undefined;
  contentType: string;
  body: string;
  retryAfter: number | undefined;
}

interface BlockRun {
  exitCode: number | null;
  output: string;
  calls: CurlCall[];
}

const stack = inject("stack");
const brokerHost = new URL(stack.brokerUrl).host;
const devHost = new URL(stack.devUrl).host;
let userJwt = "";
let scratch = "";

beforeAll(async () => {
  userJwt = await devToken(stack.devUrl, DOC_USER);
  scratch = await mkdtemp(join(tmpdir(), "ekb-doc-curl-"));
  await writeFile(join(scratch, "prelude.sh"), PRELUDE);
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("curl examples in the docs", () => {
  it("include examples that run against the dev stack", () => {
    expect(runnable.length).toBeGreaterThan(0);
  });

  it("leave no curl to the dev stack that this test does not run", () => {
    expect(problems).toEqual([]);
  });

  for (const { block } of skipped) {
    it.skip(`${where(block)}: its curls go elsewhere than the dev stack, so it does not run`, () => {});
  }

  for (const { block, analysis } of runnable) {
    it(
      `${where(block)} answers as documented`,
      async () => {
        let run = await runBlock(block);
        const wait = burstLimitWait(run, analysis);
        if (wait !== undefined) {
          // Another page's examples used up the user's burst limit: wait for its window, then run again.
          await new Promise((resolve) => setTimeout(resolve, wait * 1000));
          run = await runBlock(block);
        }
        expect(failures(run, analysis), `${where(block)}\n${block.text}\n--- output ---\n${run.output}`).toEqual([]);
      },
      BLOCK_TIMEOUT_MS * 2 + MAX_RETRY_AFTER_SECONDS * 1000,
    );
  }
});

/** Runs the block in bash in an empty directory and reads back every curl it ran; lifts a deny it left on the user. */
async function runBlock(block: CodeBlock): Promise<BlockRun> {
  const dir = await mkdtemp(join(scratch, "run-"));
  const work = join(dir, "work");
  const log = join(dir, "calls");
  await Promise.all([mkdir(work), mkdir(log)]);
  const script = join(dir, "example.sh");
  await writeFile(
    script,
    block.text.replaceAll(DOC_BROKER, brokerHost).replaceAll(DOC_DEV_SERVER, devHost).replace(/\n?$/, "\n"),
  );
  try {
    const { exitCode, output } = await bash(script, work, {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? dir,
      LANG: "C.UTF-8",
      BASH_ENV: join(scratch, "prelude.sh"),
      DOC_CURL_LOG: log,
      DOC_REPO: REPO_ROOT,
      DEV_PORT: new URL(stack.devUrl).port,
      BROKER_PORT: new URL(stack.brokerUrl).port,
      USER_JWT: userJwt,
      ADMIN_TOKEN: DEV_ADMIN_TOKEN,
    });
    return { exitCode, output, calls: await readCalls(log) };
  } finally {
    // An example that denies the docs' user must not stop the next one's mints.
    await fetch(`${stack.brokerUrl}/v1/admin/deny/${DOC_USER}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${DEV_ADMIN_TOKEN}` },
    });
    await rm(dir, { recursive: true, force: true });
  }
}

function bash(
  script: string,
  cwd: string,
  env: Record<string, string>,
): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["--noprofile", "--norc", "-e", "-o", "pipefail", script], {
      cwd,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      output += `\n[killed after ${BLOCK_TIMEOUT_MS} ms]`;
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    }, BLOCK_TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, output });
    });
  });
}

async function readCalls(log: string): Promise<CurlCall[]> {
  const calls: CurlCall[] = [];
  for (const name of (await readdir(log)).sort()) {
    const read = (file: string) => readFile(join(log, name, file), "utf8").catch(() => "");
    const headers = await read("headers");
    const statuses = [...headers.matchAll(/^HTTP\/[\d.]+ (\d{3})/gm)];
    const header = (field: string) =>
      new RegExp(`^${field}:\\s*(.*?)\\s*$`, "gim").exec(headers.split(/\r?\n\r?\n(?=HTTP\/)/).at(-1) ?? "")?.[1];
    const retryAfter = header("retry-after");
    calls.push({
      line: Number(await read("line")),
      rc: Number((await read("rc")).trim() || "-1"),
      status: statuses.length > 0 ? Number(statuses.at(-1)?.[1]) : undefined,
      contentType: header("content-type") ?? "",
      body: await read("body"),
      retryAfter: retryAfter === undefined ? undefined : Number(retryAfter),
    });
  }
  return calls;
}

/** The curl command of the block that a call ran from. */
function commandAt(analysis: BlockAnalysis, line: number): CurlCommand | undefined {
  return analysis.curls.find((curl) => curl.firstLine <= line && line <= curl.lastLine);
}

/** Seconds to wait when the burst limit, and not the example, refused a mint; undefined when it did not. */
function burstLimitWait(run: BlockRun, analysis: BlockAnalysis): number | undefined {
  for (const call of run.calls) {
    const expected = commandAt(analysis, call.line)?.expectation?.status;
    if (call.status === 429 && expected !== 429 && errorCode(call.body) === "rate_limited") {
      return Math.min(call.retryAfter ?? MAX_RETRY_AFTER_SECONDS, MAX_RETRY_AFTER_SECONDS);
    }
  }
  return undefined;
}

/** Everything the run did that its block does not say, one line each. */
function failures(run: BlockRun, analysis: BlockAnalysis): string[] {
  const found: string[] = [];
  if (run.exitCode !== 0) found.push(`the example exited with ${run.exitCode}`);
  const ran = new Set<CurlCommand>();
  for (const call of run.calls) {
    const curl = commandAt(analysis, call.line);
    if (!curl) {
      found.push(`a curl ran from block line ${call.line}, where the test found no curl command`);
      continue;
    }
    ran.add(curl);
    const at = `${curl.where}: `;
    if (call.rc !== 0) found.push(`${at}curl exited with ${call.rc}`);
    const expectation = curl.expectation;
    const status = call.status;
    if (expectation?.status !== undefined) {
      if (status !== expectation.status) found.push(`${at}answered ${status}, the doc says ${expectation.status}`);
    } else if (status === undefined || status < 200 || status > 299) {
      found.push(`${at}answered ${status} ${call.body.slice(0, 300)}; a curl without \`# →\` must answer 2xx`);
    }
    if (expectation?.code !== undefined && errorCode(call.body) !== expectation.code) {
      found.push(`${at}answered ${call.body.slice(0, 300)}, the doc says error code ${expectation.code}`);
    }
    if (expectation?.body !== undefined) {
      const body = answerJson(call);
      if (body === undefined) found.push(`${at}answered no JSON (${call.body.slice(0, 300)}), the doc shows one`);
      else found.push(...sketchMismatches(expectation.body, body).map((problem) => `${at}${problem}`));
    }
  }
  for (const curl of analysis.curls) {
    if (!ran.has(curl)) found.push(`${curl.where}: this curl never ran`);
  }
  return found;
}

/** The answer as JSON: the whole body, or an NDJSON answer's last line; undefined when it is neither. */
function answerJson(call: CurlCall): unknown {
  const text = call.body.startsWith("HTTP/")
    ? call.body
        .split(/\r?\n\r?\n/)
        .slice(1)
        .join("\n\n")
    : call.body;
  const ndjson = call.contentType.startsWith("application/x-ndjson");
  const candidate = ndjson ? (text.trim().split("\n").at(-1) ?? "") : text;
  try {
    return JSON.parse(candidate) as unknown;
  } catch {
    return undefined;
  }
}

function errorCode(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } };
    return typeof parsed.error?.code === "string" ? parsed.error.code : undefined;
  } catch {
    return undefined;
  }
}
