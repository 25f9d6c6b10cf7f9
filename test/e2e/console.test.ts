import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devToken } from "../../dev/dev-token";
import { type DevStack, startDevStack } from "../../dev/stack";
import { CHROMIUM, CHROMIUM_FLAGS } from "./chromium";

/**
 * The operator console (/console) in headless Chromium against the dev stack, after
 * `npm run seed`: sign-in, tiles, chart, the audit filtered through the URL, a deny and a
 * lift from the users table with the mints they stop and allow, and the deny's actor.
 * Every request must stay on 127.0.0.1, and the page must log no error (a CSP violation is one).
 */

/** Ports away from `npm run dev`'s and the other stack-based suites'. */
const BROKER_PORT = 18857;
const DEV_PORT = 18858;
const SCREENSHOT = new URL("../../docs/console.png", import.meta.url);
/** The seed's users; the test denies and lifts this one. */
const USER = "carol";

let stack: DevStack;
let context: BrowserContext;
let page: Page;
let scratch: string;
let seedOutput: string;
const consoleErrors: string[] = [];
/** Before sign-in the console asks without a token (Cloudflare Access would sign it in), and Chromium logs each 401. */
const errorsBeforeSignIn: string[] = [];
let signedIn = false;
const offMachine: string[] = [];
const requests: { url: string; authorization: string | undefined }[] = [];

function seed(stack: DevStack): Promise<string> {
  const tsx = createRequire(import.meta.url).resolve("tsx/cli");
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [tsx, "scripts/seed.ts", "--broker", stack.brokerUrl, "--dev", stack.devUrl],
      { env: { ...process.env, ADMIN_TOKEN: stack.adminToken } },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "ekb-e2e-console-"));
  stack = await startDevStack({
    brokerPort: BROKER_PORT,
    devPort: DEV_PORT,
    persistTo: join(scratch, "state"),
    readDevVars: false,
    // Something of each kind for the seed to meet: a failing vendor, one disabled by POLICY, a quota it reaches.
    vars: (devUrl) => ({
      GLADIA_BASE_URL: `${devUrl}/fault/server-error`,
      POLICY: JSON.stringify({ xai: { enabled: false } }),
      DAILY_MINT_QUOTA: "20",
    }),
  });
  seedOutput = await seed(stack);
  context = await chromium.launchPersistentContext(join(scratch, "profile"), {
    executablePath: CHROMIUM,
    args: CHROMIUM_FLAGS,
    headless: true,
    viewport: { width: 1280, height: 1500 },
    acceptDownloads: true,
  });
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === "blob:" || url.protocol === "data:" || url.hostname === "127.0.0.1") return route.continue();
    offMachine.push(url.href);
    return route.abort();
  });
  context.on("request", (request) =>
    requests.push({ url: request.url(), authorization: request.headers().authorization }),
  );
  page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") (signedIn ? consoleErrors : errorsBeforeSignIn).push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
}, 180_000);

afterAll(async () => {
  await context?.close();
  await stack?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A mint by a seeded user, outside the browser: what the console's deny and lift change. */
async function mintAs(user: string): Promise<number> {
  const response = await fetch(`${stack.brokerUrl}/v1/keys/soniox`, {
    method: "POST",
    headers: { Authorization: `Bearer ${await devToken(stack.devUrl, user)}` },
  });
  await response.body?.cancel();
  return response.status;
}

const text = async (selector: string) => ((await page.textContent(selector)) ?? "").trim();
const auditClientRefs = () =>
  page.$$eval("#audit tbody tr", (rows) => rows.map((row) => row.children[1]?.textContent ?? ""));
const userRow = (user: string) => `#users tbody tr[data-client-ref="${user}"]`;

describe("the operator console in Chromium", () => {
  it("npm run seed made mints, refusals of each kind, a vendor failure and denies", () => {
    for (const answer of [
      "201 ok",
      "400 invalid_request",
      "401 unauthenticated",
      "403 forbidden",
      "404 unknown_vendor",
      "429 quota_exceeded",
      "502 upstream_error",
    ]) {
      expect(seedOutput).toContain(answer);
    }
  });

  it("asks for the admin token, and signs in with it from the keyboard", async () => {
    await page.goto(`${stack.brokerUrl}/console`);
    await page.waitForSelector("#sign-in:not([hidden])");
    expect(await page.isHidden("#main")).toBe(true);
    expect(errorsBeforeSignIn.length).toBeGreaterThan(0);
    expect(errorsBeforeSignIn.filter((error) => !error.includes("status of 401"))).toEqual([]);
    signedIn = true;
    await page.focus("#admin-token");
    await page.keyboard.type(stack.adminToken ?? "");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#main:not([hidden])");
    // The token is kept for this tab only, and never in the URL.
    expect(await page.evaluate(() => sessionStorage.getItem("ekb-admin-token"))).toBe(stack.adminToken);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(requests.filter(({ url }) => url.includes(stack.adminToken ?? "-"))).toEqual([]);
  });

  it("labels every control", async () => {
    const unlabelled = await page.$$eval("input, select, button", (controls) =>
      controls
        .filter((control) => {
          const id = control.id;
          const label = id ? document.querySelector(`label[for="${id}"]`) : null;
          const name =
            control.getAttribute("aria-label") ??
            label?.textContent ??
            (control.tagName === "BUTTON" ? control.textContent : "");
          return !name?.trim();
        })
        .map((control) => control.outerHTML),
    );
    expect(unlabelled).toEqual([]);
  });

  it("shows the seeded activity in the tiles", async () => {
    const stats = (await (
      await fetch(`${stack.brokerUrl}/v1/admin/stats`, { headers: { Authorization: `Bearer ${stack.adminToken}` } })
    ).json()) as { hours: { outcome: string; count: number }[] };
    const issued = stats.hours.filter((h) => h.outcome === "issued").reduce((sum, h) => sum + h.count, 0);
    expect(issued).toBeGreaterThan(0);
    expect(await text("#tile-mints .tile-value")).toBe(String(issued));
    const refusals = await text("#tile-refusals");
    for (const reason of ["quota:", "deny:", "invalid:", "policy:"]) expect(refusals).toContain(reason);
    // The seed's bad token was answered 401 but not counted: no user, no count.
    expect(refusals).not.toContain("unauthenticated");
    expect(Number(await text("#tile-users .tile-value"))).toBeGreaterThanOrEqual(6);
    expect(await text("#tile-error-rate")).toMatch(/worst: gladia \(100\.0 %\)/);
  });

  it("draws mints per hour stacked by outcome, with the totals as text", async () => {
    expect(await page.$$("#chart canvas")).toHaveLength(1);
    const legend = await text("#chart-legend");
    expect(legend).toMatch(/issued: [1-9]\d*/);
    expect(legend).toMatch(/refused: [1-9]\d*/);
    expect(legend).toMatch(/vendor error: [1-9]\d*/);
  });

  it("shows each vendor's state and the configuration's health", async () => {
    expect(await text("#health-status")).toBe("Configuration: ok.");
    const states = Object.fromEntries(
      await page.$$eval("#vendors tbody tr", (rows) =>
        rows.map((row) => [row.children[0]?.textContent, row.children[1]?.textContent]),
      ),
    );
    expect(states.soniox).toBe("configured, emulated (loopback base URL)");
    expect(states.xai).toBe("disabled by POLICY, emulated (loopback base URL)");
  });

  it("sets the time filter by dragging across the chart", async () => {
    const box = await page.locator("#chart .u-over").boundingBox();
    if (!box) throw new Error("the chart has no plotting area");
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.99, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await expect.poll(() => new URL(page.url()).searchParams.get("since")).toMatch(/^\d{4}-.*Z$/);
    expect(new URL(page.url()).searchParams.get("until")).toMatch(/:00:00\.000Z$/);
    expect(await page.inputValue("#window")).toBe("custom");
    await page.click("#clear-filters");
    await expect.poll(() => new URL(page.url()).search).toBe("");
  });

  it("filters the audit by a user through the URL", async () => {
    await page.goto(`${stack.brokerUrl}/console?client_ref=${USER}`);
    await page.waitForSelector("#main:not([hidden])");
    expect(await page.inputValue("#filter-client-ref")).toBe(USER);
    await expect.poll(auditClientRefs).not.toEqual([]);
    expect(new Set(await auditClientRefs())).toEqual(new Set([USER]));
    expect(await text("#audit-caption")).toBe(`Audit records of ${USER}, newest first`);
    // Each user row links to that user's audit the same way.
    expect(await page.getAttribute(`${userRow("alice")} a`, "href")).toBe("/console?client_ref=alice");
  });

  it("denies the user from the users table: their next mint is 403", async () => {
    await page.click(`${userRow(USER)} button[aria-label="Deny ${USER}"]`);
    await page.fill("#deny-reason", "e2e: chargeback");
    await page.press("#deny-reason", "Enter");
    await expect.poll(() => text(`${userRow(USER)} td.denied`)).toBe("denied by admin-token: e2e: chargeback");
    expect(await mintAs(USER)).toBe(403);
  });

  it("records the deny's actor, shown in the record's details", async () => {
    const denied = page.locator("#audit tbody tr", { hasText: "denied" }).first();
    await denied.getByRole("button", { name: /Details/ }).click();
    await page.waitForSelector("#details[open]");
    expect(await text('#details dd[data-field="outcome"]')).toBe("denied");
    expect(await text('#details dd[data-field="reason"]')).toBe("e2e: chargeback");
    expect(await text('#details dd[data-field="actor"]')).toBe("admin-token");
    await page.keyboard.press("Escape");
    await expect.poll(() => page.$("#details[open]")).toBeNull();
  });

  it("lifts the deny: the next mint succeeds", async () => {
    await page.click(`${userRow(USER)} button[aria-label="Lift the deny of ${USER}"]`);
    await expect.poll(() => text(`${userRow(USER)} td:nth-child(6)`)).toBe("not denied");
    expect(await mintAs(USER)).toBe(201);
    await expect.poll(() => page.locator("#audit tbody tr", { hasText: "deny_lifted" }).count()).toBe(1);
  });

  it("exports the filtered audit as a download, with the token in a header, never the URL", async () => {
    const download = page.waitForEvent("download");
    await page.click("#audit-export");
    const file = await readFile((await (await download).path()) ?? "", "utf8");
    // The export holds records older than 5 minutes only (docs/api.md): the seeded ones are newer.
    for (const line of file.split("\n").filter(Boolean)) expect(JSON.parse(line).client_ref).toBe(USER);
    expect(await text("#export-status")).toMatch(/^Exported \d+ records/);
    const exports = requests.filter(({ url }) => url.includes("/v1/audit/export"));
    expect(exports.length).toBeGreaterThan(0);
    for (const request of exports) {
      expect(new URL(request.url).searchParams.get("client_ref")).toBe(USER);
      expect(request.authorization).toBe(`Bearer ${stack.adminToken}`);
    }
  });

  it("shows the whole console (saved as docs/console.png)", async () => {
    await page.goto(`${stack.brokerUrl}/console`);
    await page.waitForSelector("#main:not([hidden])");
    await expect.poll(() => page.$$("#chart canvas").then((c) => c.length)).toBe(1);
    await page.screenshot({ path: SCREENSHOT.pathname });
  });

  it("sent nothing off this machine, never put the token in a URL, and logged no error", () => {
    expect(offMachine).toEqual([]);
    expect(requests.filter(({ url }) => url.includes(stack.adminToken ?? "-"))).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
