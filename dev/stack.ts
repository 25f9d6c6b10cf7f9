import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import { buildConsole } from "../scripts/build-console";
import { closeServer } from "./emulator/server";
import { devAllowedOrigins, devVars, namesInDevVars } from "./dev-vars";
import { createDevIdentity } from "./identity";
import { startDevServer } from "./server";

export interface DevStackOptions {
  brokerPort: number;
  devPort: number;
  /** Where wrangler keeps local KV; defaults to .wrangler/state. */
  persistTo?: string;
  /** Pass wrangler's output through (true for `npm run dev`). */
  inheritOutput?: boolean;
  /** Called with each piece of wrangler's output, when it is not passed through. */
  onOutput?: (text: string) => void;
  /** Read .dev.vars to decide what to emulate (default true); tests turn it off to always emulate. */
  readDevVars?: boolean;
  /** Settings over the dev defaults, given the dev server's URL (the soak points vendors at emulator faults). */
  vars?: (devUrl: string) => Record<string, string>;
}

export interface DevStack {
  brokerUrl: string;
  devUrl: string;
  /** Vendors served by the emulator (the rest use .dev.vars). */
  emulated: string[];
  /** The dev admin token, when .dev.vars sets none. */
  adminToken: string | undefined;
  /** The browser origins the broker admits (`ALLOWED_ORIGINS`). */
  allowedOrigins: string[];
  /** The `wrangler dev` process, whose workerd children run the broker. */
  wranglerPid: number | undefined;
  stop(): Promise<void>;
}

/** wrangler's inspector listens this far above the broker's port, clear of the dev and e2e ports. */
const INSPECTOR_PORT_OFFSET = 1_000;
/** How long to wait for `wrangler dev` to answer /healthz. */
const BROKER_START_TIMEOUT_MS = 60_000;

/**
 * The environment `wrangler dev` runs in. At every start, Miniflare fetches `Request.cf`
 * (a request's location and TLS details) from workers.cloudflare.com, and offline prints a
 * stack trace for each of the two Miniflare instances wrangler starts. The broker reads
 * nothing of `request.cf`, so Miniflare's placeholder serves as well:
 * CLOUDFLARE_CF_FETCH_ENABLED=false skips the fetch, unless the shell sets it otherwise.
 */
function wranglerEnv(shell: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    ...shell,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_HIDE_BANNER: "true",
  };
}

/** Starts the dev server and `wrangler dev` pointed at it; resolves when the broker answers. */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const brokerUrl = `http://127.0.0.1:${options.brokerPort}`;
  const devUrl = `http://127.0.0.1:${options.devPort}`;
  // The console (/console) is a static asset of the broker, so it is built before wrangler serves the assets.
  await buildConsole();
  const identity = await createDevIdentity(`${devUrl}/dev-identity`);
  const server: Server = await startDevServer({ port: options.devPort, brokerUrl, identity });

  const devVarsText = options.readDevVars === false ? "" : await readFile(".dev.vars", "utf8").catch(() => "");
  const defaults = devVars(namesInDevVars(devVarsText), devUrl, identity);
  const emulated = defaults.emulated;
  const vars = { ...defaults.vars, ...options.vars?.(devUrl) };
  const wranglerBin = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
  const args = [
    wranglerBin,
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(options.brokerPort),
    "--inspector-port",
    String(options.brokerPort + INSPECTOR_PORT_OFFSET),
    "--show-interactive-dev-session=false",
    ...(options.persistTo ? ["--persist-to", options.persistTo] : []),
    ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
  ];
  const wrangler: ChildProcess = spawn(process.execPath, args, {
    stdio: options.inheritOutput ? "inherit" : "pipe",
    env: wranglerEnv(process.env),
  });
  let output = "";
  const capture = (chunk: Buffer) => {
    output += chunk.toString();
    options.onOutput?.(chunk.toString());
  };
  wrangler.stdout?.on("data", capture);
  wrangler.stderr?.on("data", capture);

  const stop = async () => {
    if (wrangler.exitCode === null) {
      const exited = new Promise((resolve) => wrangler.once("exit", resolve));
      wrangler.kill("SIGTERM");
      await exited;
    }
    await closeServer(server);
  };

  try {
    await waitForBroker(brokerUrl, wrangler);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return {
    brokerUrl,
    devUrl,
    emulated,
    adminToken: vars.ADMIN_TOKEN,
    allowedOrigins: devAllowedOrigins(vars, devVarsText),
    wranglerPid: wrangler.pid,
    stop,
  };
}

async function waitForBroker(brokerUrl: string, wrangler: ChildProcess): Promise<void> {
  const deadline = Date.now() + BROKER_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (wrangler.exitCode !== null) throw new Error(`wrangler dev exited with ${wrangler.exitCode}`);
    try {
      if ((await fetch(`${brokerUrl}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`wrangler dev did not answer within ${BROKER_START_TIMEOUT_MS} ms`);
}
