import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevStack, startDevStack } from "../../dev/stack";
import { CHROMIUM, CHROMIUM_FLAGS } from "./chromium";
// Every vendor in the registry: npm run openapi writes its options here, one entry per vendor.
import vendorOptions from "../../src/generated/vendor-options.json";

/**
 * The API reference at the dev server's /docs, in headless Chromium: Redoc rendering the
 * broker's /openapi.json with Markdown, examples, security schemes and tag groups, and with
 * every request staying on this machine. What it must show is read from the served document.
 */

/** Ports away from `npm run dev`'s and the other stack-based suites'. */
const BROKER_PORT = 18837;
const DEV_PORT = 18838;

interface MediaType {
  examples?: Record<string, { summary?: string; value: unknown }>;
}
interface Response {
  $ref?: string;
  description?: string;
  content?: Record<string, MediaType>;
}
interface Operation {
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  parameters?: { description: string }[];
  requestBody?: { description?: string; content: Record<string, MediaType> };
  responses: Record<string, Response>;
}
interface ApiDocument {
  info: { description: string };
  tags: { name: string; description: string }[];
  "x-tagGroups": { name: string; tags: string[] }[];
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { description: string }>; responses: Record<string, Response> };
}

let stack: DevStack;
let browser: Browser;
let page: Page;
let scratch: string;
let api: ApiDocument;
const requested: string[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "ekb-e2e-docs-"));
  stack = await startDevStack({
    brokerPort: BROKER_PORT,
    devPort: DEV_PORT,
    persistTo: join(scratch, "state"),
    readDevVars: false,
  });
  api = (await (await fetch(`${stack.brokerUrl}/openapi.json`)).json()) as ApiDocument;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  context.on("request", (request) => requested.push(request.url()));
  page = await context.newPage();
  await page.goto(`${stack.devUrl}/docs`);
  // A heading appears once the document is fetched and drawn, in one go: each check below then
  // fails on its own account if the page draws something else.
  await page.waitForSelector("#reference h2", { timeout: 30_000 });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function operations(): { path: string; method: string; operation: Operation }[] {
  return Object.entries(api.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
  );
}

/** Redoc's id for an operation, in the navigation and on the page. */
const itemId = (operation: Operation) => `tag/${operation.tags[0]}/operation/${operation.operationId}`;

/** The text of the element with this id, or null when there is none (the page is drawn by now). */
const textOf = (id: string) => page.evaluate((id) => document.getElementById(id)?.textContent ?? null, id);

/** Up to three places where `literal` occurs, with some text around each. */
function excerpts(text: string, literal: string): string[] {
  const found: string[] = [];
  for (let at = text.indexOf(literal); at !== -1 && found.length < 3; at = text.indexOf(literal, at + 1)) {
    found.push(text.slice(Math.max(0, at - 40), at + 40));
  }
  return found;
}

/** The JSON an operation's right panel shows under one heading: "Request samples" or "Response samples". */
function samples(operation: Operation, heading: string): Promise<string> {
  return page.evaluate(
    ({ id, heading }) => {
      const titles = Array.from(document.getElementById(id)?.querySelectorAll("h3") ?? []);
      const panel = titles.find((title) => title.textContent?.trim() === heading)?.parentElement;
      return Array.from(panel?.querySelectorAll(".redoc-json") ?? [])
        .map((block) => block.textContent)
        .join("\n");
    },
    { id: itemId(operation), heading },
  );
}

const mints = () => operations().filter(({ path, method }) => path.startsWith("/v1/keys/") && method === "post");

describe("the API reference in Chromium", () => {
  it("lists every operation in the navigation under its tag, the mint operations among them", async () => {
    const navigation = await page.$$eval("[data-item-id]", (items) =>
      items.map((item) => ({ id: item.getAttribute("data-item-id"), label: item.getAttribute("aria-label") })),
    );
    expect(
      mints()
        .map(({ path }) => path.slice("/v1/keys/".length))
        .sort(),
    ).toEqual(Object.keys(vendorOptions).sort());
    for (const { path, method, operation } of operations()) {
      expect(navigation, `${method.toUpperCase()} ${path}`).toContainEqual({
        id: itemId(operation),
        label: operation.summary,
      });
    }
    for (const { path, operation } of mints()) {
      const section = await textOf(itemId(operation));
      expect(section).toContain(operation.summary);
      expect(section).toContain(path);
    }
  });

  it("shows each mint's examples: the request body, the key it answers, and the menu of examples", async () => {
    for (const { operation } of mints()) {
      const where = operation.operationId;
      const requests = Object.values(operation.requestBody?.content["application/json"]?.examples ?? {});
      const created = Object.values(operation.responses["201"]?.content?.["application/json"]?.examples ?? {})[0];
      const key = (created?.value as { key?: string } | undefined)?.key;
      expect(key, where).toBeTruthy();
      expect(requests.length, where).toBeGreaterThan(0);
      const requestSample = await samples(operation, "Request samples");
      const responseSample = await samples(operation, "Response samples");
      expect(responseSample, where).toContain(JSON.stringify(key));
      // The first request example, shown as the request sample.
      const fields = Object.entries((requests[0]?.value ?? {}) as Record<string, unknown>);
      for (const [name, value] of fields.filter(([, value]) => typeof value !== "object")) {
        expect(requestSample, `${where} ${name}`).toContain(`"${name}": ${JSON.stringify(value)}`);
      }
      // With several, a menu names them all by their summaries.
      if (requests.length > 1) {
        const menu = await page.evaluate(
          (id) => document.getElementById(id)?.querySelector('select[aria-label="Example"]')?.textContent,
          itemId(operation),
        );
        for (const { summary } of requests) expect(menu, where).toContain(summary);
      }
    }
  });

  it("shows the security schemes, and which one each operation takes", async () => {
    const navigation = await page.$$eval("[data-item-id]", (items) =>
      items.map((item) => item.getAttribute("data-item-id")),
    );
    expect(navigation).toContain("section/Authentication");
    const schemes = Object.keys(api.components.securitySchemes);
    expect(schemes.sort()).toEqual(["adminToken", "cloudflareAccess", "endUserJwt"]);
    for (const name of schemes) {
      const section = await textOf(`section/Authentication/${name}`);
      expect(section, name).toContain("Security Scheme Type");
      // Access's assertion comes in a header of its own, not as a bearer token.
      expect(section, name).toContain(name === "cloudflareAccess" ? "Cf-Access-Jwt-Assertion" : "bearer");
    }
    const [mint] = mints();
    expect(await textOf(itemId(mint?.operation as Operation))).toMatch(/Authorizations:\s*endUserJwt/i);
  });

  it("groups the tags as the document says, with the CORS preflights alone in the last group", async () => {
    const groups = await page.$$eval('[data-item-id^="group/"]', (items) =>
      items.map((item) => ({
        name: item.getAttribute("aria-label"),
        operations: Array.from(item.querySelectorAll('[data-item-id*="/operation/"]'))
          .map((operation) => operation.getAttribute("data-item-id")?.split("/operation/")[1])
          .sort(),
      })),
    );
    const expected = api["x-tagGroups"].map((group) => ({
      name: group.name,
      operations: operations()
        .filter(({ operation }) => group.tags.includes(operation.tags[0] ?? ""))
        .map(({ operation }) => operation.operationId)
        .sort(),
    }));
    expect(groups).toEqual(expected);
    const preflights = operations()
      .filter(({ method }) => method === "options")
      .map(({ operation }) => operation.operationId)
      .sort();
    expect(preflights.length).toBe(Object.keys(api.paths).length);
    expect(groups.at(-1)).toEqual({ name: "CORS preflight", operations: preflights });
  });

  it("renders descriptions as Markdown: no literal backticks or asterisks, every code span in <code>", async () => {
    const { prose, codes } = await page.evaluate(() => {
      const root = document.getElementById("reference")?.cloneNode(true) as HTMLElement;
      const codes = Array.from(root.querySelectorAll("code")).map((code) => code.textContent ?? "");
      for (const literal of Array.from(root.querySelectorAll("code, pre, .redoc-json"))) literal.remove();
      return { prose: root.textContent ?? "", codes };
    });
    expect(prose.length).toBeGreaterThan(10_000);
    expect(excerpts(prose, "`"), "literal backticks").toEqual([]);
    expect(excerpts(prose, "**"), "literal asterisks").toEqual([]);

    // Every code span of the descriptions the reference shows, each one rendered as code.
    const descriptions = [
      api.info.description,
      ...api.tags.map((tag) => tag.description),
      ...Object.values(api.components.securitySchemes).map((scheme) => scheme.description),
      ...operations().flatMap(({ operation }) => [
        operation.description,
        operation.requestBody?.description ?? "",
        ...(operation.parameters ?? []).map((parameter) => parameter.description),
        ...Object.values(operation.responses).map(
          (response) =>
            response.description ?? api.components.responses[response.$ref?.split("/").pop() ?? ""]?.description ?? "",
        ),
      ]),
    ];
    const spans = new Set(descriptions.flatMap((text) => [...text.matchAll(/`([^`]+)`/g)].map((match) => match[1])));
    expect(spans.size).toBeGreaterThan(100);
    const rendered = new Set(codes);
    expect([...spans].filter((span) => !rendered.has(span as string))).toEqual([]);
  });

  it("loads nothing from outside 127.0.0.1: no CDN, no web fonts", async () => {
    expect(requested).toContain(`${stack.brokerUrl}/openapi.json`);
    const outside = requested.filter((url) => {
      const { protocol, hostname } = new URL(url);
      return !(protocol === "blob:" || protocol === "data:" || hostname === "127.0.0.1");
    });
    expect(outside).toEqual([]);
  });
});
