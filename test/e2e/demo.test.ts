import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevStack, startDevStack } from "../../dev/stack";
import vendorOptions from "../../src/generated/vendor-options.json";
import { CHROMIUM, CHROMIUM_FLAGS } from "./chromium";

/** Every vendor in the registry (`npm run openapi` writes one entry per vendor), not a list kept by hand. */
const VENDOR_IDS = Object.keys(vendorOptions);

/** Ports away from `npm run dev`'s, so a running dev session does not get in the way. */
const BROKER_PORT = 18787;
const DEV_PORT = 18788;
const SCREENSHOT = new URL("../../docs/demo.png", import.meta.url);

let stack: DevStack;
let context: BrowserContext;
let page: Page;
let scratch: string;
/** The page's console errors and every response it got, from the first load on. */
const consoleErrors: string[] = [];
const responses: { url: string; status: number }[] = [];

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
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("response", (response) => responses.push({ url: response.url(), status: response.status() }));
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
  await expect.poll(() => page.textContent("#key-issuance"), { timeout: 10_000 }).not.toBe(earlier);
  expect(await page.textContent("#key-vendor")).toBe(vendor);
  await page.click("#connect");
  await expect.poll(() => page.textContent("#status"), { timeout: 10_000 }).toBe("Connect: accepted");
}

/** Clicks a demo button and waits for the key it mints, so a status left by an earlier demo is not mistaken for its own. */
async function runDemo(button: string) {
  const earlier = await page.textContent("#key-issuance");
  await page.click(button);
  await expect.poll(() => page.textContent("#key-issuance"), { timeout: 10_000 }).not.toBe(earlier);
}

/** Whether the element takes up room on the page: its computed display, whatever its `hidden` attribute says. */
const displayed = (selector: string) =>
  page.$eval(
    selector,
    (element) => getComputedStyle(element).display !== "none" && element.getClientRects().length > 0,
  );

describe("the demo page in Chromium", () => {
  it("shows no key details before a key is minted", async () => {
    expect(await displayed("#key-details")).toBe(false);
    expect(await page.isVisible("#key-details")).toBe(false);
  });

  it("shows a sign-in hint, not an empty vendor list, before sign-in", async () => {
    expect(await displayed("#vendor")).toBe(false);
    expect(await displayed("#vendor-hint")).toBe(true);
    expect(await page.textContent("#vendor-hint")).toBe("sign in to see your vendors");
    expect(await page.isDisabled("#mint")).toBe(true);
  });

  it("serves its favicon", async () => {
    const href = await page.getAttribute('link[rel="icon"]', "href");
    expect(href).toBe("/favicon.svg");
    for (const path of [href, "/favicon.ico"]) {
      const icon = await page.request.get(`${stack.devUrl}${path}`);
      expect(icon.status()).toBe(200);
      expect(icon.headers()["content-type"]).toBe("image/svg+xml");
      expect(await icon.text()).toMatch(/^<svg /);
    }
  });

  it("signs in and lists every vendor the broker has", async () => {
    await signIn("alice");
    const vendors = () =>
      page.$$eval("#vendor option", (options) => options.map((o) => (o as HTMLOptionElement).value).sort());
    await expect.poll(vendors).toEqual([...VENDOR_IDS].sort());
    expect(await displayed("#vendor")).toBe(true);
    expect(await displayed("#vendor-hint")).toBe(false);
    // Signed in, but nothing minted yet.
    expect(await displayed("#key-details")).toBe(false);
  });

  it.each(VENDOR_IDS)("mints a %s key through the broker and uses it at the vendor", async (vendor) => {
    await mintAndConnect(vendor);
    expect(await page.textContent("#key-client-ref")).toBe("alice");
    expect(await page.textContent("#key-masked")).toMatch(/^.{6}….{4}$/);
    expect(Date.parse((await page.textContent("#key-expires")) ?? "")).toBeGreaterThan(Date.now());
    expect(await page.textContent("#transcript")).toContain("emulator");
  });

  it("shows the page after a successful connect (saved as docs/demo.png)", async () => {
    expect(await displayed("#key-details")).toBe(true);
    expect(await page.textContent("#status")).toBe("Connect: accepted");
    await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true });
  });

  it.each([
    ["soniox", "Soniox", "Temporary API key was already used."],
    ["assemblyai", "AssemblyAI", "Unauthorized Connection: Temporary token has already been used"],
    ["elevenlabs", "ElevenLabs", "Token has already been used"],
    ["gemini", "Gemini Live", "Request had invalid authentication credentials."],
  ])("refuses a single-use %s key the second time", async (vendor, name, refusal) => {
    await page.selectOption("#vendor", vendor);
    expect(await page.textContent("#try-single-use")).toBe(`Use a single-use ${name} key twice`);
    expect(await page.textContent("#demo-hint")).not.toContain("single-use demo");
    await runDemo("#try-single-use");
    await expect
      .poll(() => page.textContent("#status"), { timeout: 10_000 })
      .toBe(`Single-use ${name} key, second use: refused (${refusal})`);
    expect(await page.textContent("#log")).toMatch(new RegExp(`Single-use ${name} key, first use .*: accepted`));
    expect(await page.textContent("#key-vendor")).toBe(vendor);
  });

  it("uses a single-use Soniox key, and says so, when the selected vendor's keys are reusable", async () => {
    await page.selectOption("#vendor", "deepgram");
    expect(await page.textContent("#try-single-use")).toBe("Use a single-use Soniox key twice");
    expect(await page.textContent("#demo-hint")).toContain(
      "Deepgram keys open any number of sessions until they expire, so the single-use demo uses Soniox.",
    );
    await runDemo("#try-single-use");
    await expect
      .poll(() => page.textContent("#status"), { timeout: 10_000 })
      .toBe("Single-use Soniox key, second use: refused (Temporary API key was already used.)");
    expect(await page.textContent("#key-vendor")).toBe("soniox");
  });

  it.each([
    ["soniox", "Soniox", 1, "Temporary API key has expired."],
    ["deepgram", "Deepgram", 1, "Deepgram refused the token at the handshake"],
    ["assemblyai", "AssemblyAI", 1, "Unauthorized Connection: Temporary token has expired"],
    ["openai", "OpenAI", 10, "The client secret provided has expired."],
  ])("refuses an expired %s key", async (vendor, name, ttl, refusal) => {
    await page.selectOption("#vendor", vendor);
    expect(await page.textContent("#try-expired")).toBe(`Try an expired ${name} key`);
    expect(await page.textContent("#demo-hint")).not.toContain("expired-key demo");
    await runDemo("#try-expired");
    expect(await page.textContent("#key-vendor")).toBe(vendor);
    expect(await page.textContent("#log")).toContain(`minted a ${ttl}-second ${name} key`);
    await expect
      .poll(() => page.textContent("#status"), { timeout: (ttl + 10) * 1000 })
      .toBe(`Expired ${name} key: refused (${refusal})`);
  });

  it.each([
    ["speechmatics", "Speechmatics keys live at least 60 s"],
    ["elevenlabs", "ElevenLabs keys live a fixed 15 minutes"],
  ])("uses an expired Soniox key, and says so, when %s keys live too long to wait for", async (vendor, why) => {
    await page.selectOption("#vendor", vendor);
    expect(await page.textContent("#try-expired")).toBe("Try an expired Soniox key");
    expect(await page.textContent("#demo-hint")).toContain(
      `${why}, too long to wait for, so the expired-key demo uses Soniox.`,
    );
    await runDemo("#try-expired");
    await expect
      .poll(() => page.textContent("#status"), { timeout: 10_000 })
      .toBe("Expired Soniox key: refused (Temporary API key has expired.)");
    expect(await page.textContent("#key-vendor")).toBe("soniox");
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

  it("logged no 404, its favicon included", async () => {
    expect(responses.filter(({ status }) => status === 404)).toEqual([]);
    expect(consoleErrors.filter((text) => text.includes("404"))).toEqual([]);
    // Chromium asks for the page's icon on its own; it got it.
    expect(responses).toContainEqual({ url: `${stack.devUrl}/favicon.svg`, status: 200 });
  });
});
