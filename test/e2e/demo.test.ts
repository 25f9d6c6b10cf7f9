import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevStack, startDevStack } from "../../dev/stack";
import { CHROMIUM, CHROMIUM_FLAGS } from "./chromium";

/** Ports away from `npm run dev`'s, so a running dev session does not get in the way. */
const BROKER_PORT = 18787;
const DEV_PORT = 18788;
const SCREENSHOT = new URL("../../docs/demo.png", import.meta.url);

let stack: DevStack;
let context: BrowserContext;
let page: Page;
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "ekb-e2e-"));
  stack = await startDevStack({
    brokerPort: BROKER_PORT,
    devPort: DEV_PORT,
    persistTo: join(scratch, "state"),
    readDevVars: false,
  });
  context = await chromium.launchPersistentContext(join(scratch, "profile"), {
    executablePath: CHROMIUM,
    args: CHROMIUM_FLAGS,
    headless: true,
    viewport: { width: 1000, height: 1100 },
  });
  page = await context.newPage();
  await page.goto(`${stack.devUrl}/`);
});

afterAll(async () => {
  await context?.close();
  await stack?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function signIn(user: string) {
  await page.fill("#user", user);
  await page.click("#sign-in");
  await expect.poll(() => page.textContent("#signed-in")).toBe(`Signed in as ${user}`);
  // The vendor list arrives after sign-in; minting is enabled once it has.
  await expect.poll(() => page.isEnabled("#mint")).toBe(true);
}

async function mintAndConnect(vendor: string) {
  await page.selectOption("#vendor", vendor);
  // Wait for this mint's key: the page may still show an earlier key of the same vendor.
  const earlier = await page.textContent("#key-issuance");
  await page.click("#mint");
  await expect.poll(() => page.textContent("#key-issuance")).not.toBe(earlier);
  expect(await page.textContent("#key-vendor")).toBe(vendor);
  await page.click("#connect");
  await expect.poll(() => page.textContent("#status"), { timeout: 10_000 }).toBe("Connect: accepted");
}

describe("the demo page in Chromium", () => {
  it("signs in and lists every vendor the broker has", async () => {
    await signIn("alice");
    const vendors = () =>
      page.$$eval("#vendor option", (options) => options.map((o) => (o as HTMLOptionElement).value).sort());
    await expect
      .poll(vendors)
      .toEqual(["acedata", "amivoice", "assemblyai", "deepgram", "elevenlabs", "openai", "soniox", "speechmatics"]);
  });

  it.each(["speechmatics", "amivoice", "acedata", "soniox", "deepgram", "openai", "assemblyai", "elevenlabs"])(
    "mints a %s key through the broker and uses it at the vendor",
    async (vendor) => {
      await mintAndConnect(vendor);
      expect(await page.textContent("#key-client-ref")).toBe("alice");
      expect(await page.textContent("#key-masked")).toMatch(/^.{6}….{4}$/);
      expect(Date.parse((await page.textContent("#key-expires")) ?? "")).toBeGreaterThan(Date.now());
      expect(await page.textContent("#transcript")).toContain("emulator");
    },
  );

  it("shows the page after a successful connect (saved as docs/demo.png)", async () => {
    expect(await page.textContent("#status")).toBe("Connect: accepted");
    await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true });
  });

  it("refuses a single-use key the second time", async () => {
    await page.click("#try-single-use");
    await expect
      .poll(() => page.textContent("#status"), { timeout: 10_000 })
      .toBe("Single-use key, second use: refused (Temporary API key was already used.)");
    expect(await page.textContent("#log")).toMatch(/Single-use key, first use .*: accepted/);
  });

  it("refuses an expired key", async () => {
    await page.click("#try-expired");
    await expect
      .poll(() => page.textContent("#status"), { timeout: 10_000 })
      .toBe("Expired key: refused (Temporary API key has expired.)");
  });

  it("records with @soniox/client, its keys from the client's sonioxConfig", async () => {
    await page.click("#soniox-sdk");
    await expect.poll(() => page.textContent("#status"), { timeout: 10_000 }).toBe("@soniox/client: finished");
    expect(await page.textContent("#transcript")).toBe("Hello from the speech emulator.");
    // A second recording gets its own single-use key: the first one would be refused.
    const finished = async () =>
      ((await page.textContent("#log")) ?? "").match(/@soniox\/client recording finished: Hello/g);
    await page.click("#soniox-sdk");
    await expect.poll(async () => (await finished())?.length, { timeout: 10_000 }).toBe(2);
  });

  it("signs the next user in with their own client_ref", async () => {
    await signIn("bob");
    await mintAndConnect("soniox");
    expect(await page.textContent("#key-client-ref")).toBe("bob");
  });
});

describe("the API reference page", () => {
  it("renders every route from the broker's /openapi.json", async () => {
    const docs = await context.newPage();
    await docs.goto(`${stack.devUrl}/docs`);
    await expect.poll(() => docs.locator("h2").count()).toBeGreaterThan(8);
    const headings = (await docs.locator("h2").allTextContents()).map((h) => h.replace(/\s+/g, " "));
    for (const route of ["GET /healthz", "GET /v1/vendors", "POST /v1/keys/amivoice", "GET /v1/audit/{issuance_id}"]) {
      expect(headings).toContain(route);
    }
    await docs.close();
  });
});
