import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devToken } from "../../dev/dev-token";
import { type DevStack, startDevStack } from "../../dev/stack";
import { CHROMIUM, CHROMIUM_FLAGS } from "./chromium";

const run = promisify(execFile);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/** Ports away from `npm run dev`'s and the other tests', so none gets in the way. */
const BROKER_PORT = 18807;
const DEV_PORT = 18808;

/**
 * The client as app developers get it: `npm pack` of `client/`, installed into
 * an empty project, imported from Node and bundled for the browser, each
 * minting one key from the dev stack.
 */
let stack: DevStack;
let scratch: string;
let app: string;
let packedFiles: string[];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "ekb-package-"));
  app = join(scratch, "app");
  stack = await startDevStack({
    brokerPort: BROKER_PORT,
    devPort: DEV_PORT,
    persistTo: join(scratch, "state"),
    readDevVars: false,
  });
  const packed = await run(npm, ["pack", "./client", "--json", "--pack-destination", scratch]);
  const [tarball] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  if (!tarball) throw new Error("npm pack produced no tarball");
  packedFiles = tarball.files.map((file) => file.path);

  await run("mkdir", ["-p", app]);
  await writeFile(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  // The package has no dependencies, so installing it needs no registry.
  await run(npm, ["install", "--offline", "--no-audit", "--no-fund", join(scratch, tarball.filename)], { cwd: app });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function idTokenFor(user: string): Promise<string> {
  return devToken(stack.devUrl, user);
}

/** An app's code: mint one Deepgram key for the signed-in user and report what came back. */
function appSource(brokerUrl: string, token: string) {
  return `
    import { createKeyClient } from "edge-key-broker-client";
    const keys = createKeyClient({ baseUrl: ${JSON.stringify(brokerUrl)}, getIdToken: () => ${JSON.stringify(token)} });
    const minted = await keys.getKey("deepgram", { ttl_seconds: 60 });
    globalThis.reportResult({ vendor: minted.vendor, client_ref: minted.client_ref, keyLength: minted.key.length });
  `;
}

describe("the client package", () => {
  it("holds exactly the built client, its types, its README and package.json", async () => {
    const sources = (await readdir("src/client", { recursive: true }))
      .filter((file) => file.endsWith(".ts"))
      .map((file) => file.replace(/\.ts$/, ""));
    const built = sources.flatMap((file) => [`dist/${file}.js`, `dist/${file}.d.ts`]);
    expect([...packedFiles].sort()).toEqual(["README.md", "package.json", ...built].sort());
  });

  it("is imported from Node as ESM and mints a key", async () => {
    const token = await idTokenFor("package-node-user");
    await writeFile(
      join(app, "node-app.mjs"),
      `globalThis.reportResult = (result) => console.log(JSON.stringify(result));\n${appSource(stack.brokerUrl, token)}`,
    );
    const { stdout } = await run(process.execPath, ["node-app.mjs"], { cwd: app });
    expect(JSON.parse(stdout)).toMatchObject({ vendor: "deepgram", client_ref: "package-node-user" });
  });

  it("ships types that make a misspelled vendor a compile error", async () => {
    const typescript = join(process.cwd(), "node_modules/typescript/bin/tsc");
    const check = (source: string) =>
      writeFile(join(app, "typed.ts"), source).then(() =>
        run(
          process.execPath,
          [
            typescript,
            "--noEmit",
            "--strict",
            "--module",
            "nodenext",
            "--target",
            "es2022",
            "--lib",
            "es2022,dom",
            "typed.ts",
          ],
          {
            cwd: app,
          },
        ),
      );
    const header = `import { createKeyClient } from "edge-key-broker-client";\nconst keys = createKeyClient({ baseUrl: "https://b", getIdToken: () => "t" });\n`;
    await expect(check(`${header}void keys.getKey("soniox", { single_use: true });\n`)).resolves.toBeDefined();
    await expect(check(`${header}void keys.getKey("sonix");\n`)).rejects.toMatchObject({
      stdout: expect.stringContaining('"sonix"'),
    });
  }, 60_000);

  it("is bundled for the browser by esbuild and mints a key in Chromium", async () => {
    const token = await idTokenFor("package-browser-user");
    await writeFile(join(app, "browser-app.js"), appSource(stack.brokerUrl, token));
    const bundled = await build({
      absWorkingDir: app,
      entryPoints: ["browser-app.js"],
      bundle: true,
      platform: "browser",
      format: "esm",
      target: "es2022",
      write: false,
    });
    const script = bundled.outputFiles[0]?.text ?? "";
    expect(script).not.toMatch(/from\s*["']node:/);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
    try {
      const page = await browser.newPage();
      // The demo page's origin is one the dev broker allows.
      await page.goto(`${stack.devUrl}/`);
      const result = page.evaluate(
        () => new Promise((resolve) => ((globalThis as unknown as { reportResult: unknown }).reportResult = resolve)),
      );
      await page.addScriptTag({ content: script, type: "module" });
      expect(await result).toMatchObject({ vendor: "deepgram", client_ref: "package-browser-user" });
    } finally {
      await browser.close();
    }
  });
});
