import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import ts from "typescript";
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
let tarballName: string;

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
  tarballName = tarball.filename;

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

/** The installed package's directory, where Node and TypeScript find it from the app. */
function installed(): string {
  return join(app, "node_modules", "edge-key-broker-client");
}

/** A file of the installed package by its path inside the package, e.g. `dist/index.js`. */
function inPackage(resolved: string): string {
  return relative(installed(), resolved.startsWith("file:") ? fileURLToPath(resolved) : resolved);
}

/** Where TypeScript resolves the package's types from the app, with `moduleResolution` and, for node16, the import's mode. */
function typesFor(moduleResolution: ts.ModuleResolutionKind, mode?: ts.ResolutionMode): string | undefined {
  const options: ts.CompilerOptions = {
    moduleResolution,
    module: moduleResolution === ts.ModuleResolutionKind.Bundler ? ts.ModuleKind.ESNext : ts.ModuleKind.NodeNext,
  };
  if (moduleResolution === ts.ModuleResolutionKind.Node10) options.module = ts.ModuleKind.CommonJS;
  const { resolvedModule } = ts.resolveModuleName(
    "edge-key-broker-client",
    join(app, "app.ts"),
    options,
    ts.sys,
    undefined,
    undefined,
    mode,
  );
  return resolvedModule && inPackage(resolvedModule.resolvedFileName);
}

/** A stand-in npm registry that has never seen the package, and the requests it got. */
async function emptyRegistry(): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    requests.push(`${request.method} ${request.url}`);
    response.writeHead(404, { "content-type": "application/json" }).end('{"error":"Not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
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

  it("passes npm publish --dry-run, which asks the registry only whether the version exists", async () => {
    // A registry of the test's own: publish --dry-run GETs the package's versions (and goes on
    // when it cannot), and never uploads. prepack already ran for the tarball above.
    const registry = await emptyRegistry();
    try {
      const { stdout, stderr } = await run(
        npm,
        ["publish", "--dry-run", "--ignore-scripts", "--registry", registry.url, "--fetch-retries", "0"],
        { cwd: "client" },
      );
      const manifest = JSON.parse(await readFile("client/package.json", "utf8")) as { name: string; version: string };
      expect(stdout).toContain(`+ ${manifest.name}@${manifest.version}`);
      // npm rewrites a field it finds wrong (a repository URL, a bin path) and says so.
      expect(stderr).not.toContain("auto-corrected");
      const warnings = stderr.split("\n").filter((line) => line.startsWith("npm warn"));
      expect(warnings).toEqual([expect.stringMatching(/requires you to be logged in .*\(dry-run\)$/)]);
      // Each request reads the package's document (npm asks twice); none uploads.
      expect(registry.requests.length).toBeGreaterThan(0);
      expect(new Set(registry.requests)).toEqual(new Set([`GET /${manifest.name}`]));
    } finally {
      await registry.close();
    }
  }, 60_000);

  it("resolves with Node's resolver, imported or required, to the built entry point", async () => {
    const imported = await run(
      process.execPath,
      ["--input-type=module", "-e", 'console.log(import.meta.resolve("edge-key-broker-client"))'],
      { cwd: app },
    );
    expect(inPackage(imported.stdout.trim())).toBe("dist/index.js");
    const required = createRequire(join(app, "package.json"));
    expect(inPackage(required.resolve("edge-key-broker-client"))).toBe("dist/index.js");
    expect(inPackage(required.resolve("edge-key-broker-client/package.json"))).toBe("package.json");
  });

  it("resolves its types with TypeScript's resolver in every module resolution an app may use", () => {
    const { NodeNext, Node16, Bundler, Node10 } = ts.ModuleResolutionKind;
    expect(typesFor(NodeNext, ts.ModuleKind.ESNext)).toBe("dist/index.d.ts");
    expect(typesFor(NodeNext, ts.ModuleKind.CommonJS)).toBe("dist/index.d.ts");
    expect(typesFor(Node16, ts.ModuleKind.ESNext)).toBe("dist/index.d.ts");
    expect(typesFor(Bundler)).toBe("dist/index.d.ts");
    // Older tools ignore `exports`: they read `types` and `main`.
    expect(typesFor(Node10)).toBe("dist/index.d.ts");
  });

  it("names only packed files in exports, and the same entry point in main and types for tools that ignore exports", async () => {
    const manifest = JSON.parse(await readFile(join(installed(), "package.json"), "utf8")) as {
      exports: Record<string, string | Record<string, string>>;
      main: string;
      types: string;
    };
    // TypeScript would fall back from a missing `types` target to the .d.ts beside `default`: check each target.
    const targets = Object.values(manifest.exports).flatMap((target) =>
      typeof target === "string" ? [target] : Object.values(target),
    );
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) expect(packedFiles, target).toContain(target.replace(/^\.\//, ""));
    expect(manifest.exports["."]).toEqual({ types: manifest.types, default: manifest.main });
    expect(manifest.main.replace(/^\.\//, "")).toBe("dist/index.js");
    expect(manifest.types.replace(/^\.\//, "")).toBe("dist/index.d.ts");
  });

  it("is ignored by git as npm run pack:client writes it, in the repo's root", async () => {
    // --no-index: whatever git tracks, would the .gitignore keep a new tarball out of a commit?
    await expect(run("git", ["check-ignore", "--no-index", "-q", tarballName])).resolves.toBeDefined();
  });
});
