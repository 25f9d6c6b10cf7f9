import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startDevStack } from "../../dev/stack";

/** Ports away from `npm run dev`'s and the Chromium test's, so neither gets in the way. */
const BROKER_PORT = 18797;
const DEV_PORT = 18798;

/**
 * The vendor-SDK helper tests run against `npm run dev`'s stack: the real
 * Worker under `wrangler dev` with local KV, pointed at the emulator, and the
 * dev identity provider. Keys reach the SDKs through the broker.
 */
export default async function setup(project: TestProject) {
  const scratch = await mkdtemp(join(tmpdir(), "ekb-sdk-"));
  const stack = await startDevStack({
    brokerPort: BROKER_PORT,
    devPort: DEV_PORT,
    persistTo: join(scratch, "state"),
    readDevVars: false,
  });
  project.provide("stack", { brokerUrl: stack.brokerUrl, devUrl: stack.devUrl });
  return async () => {
    await stack.stop();
    await rm(scratch, { recursive: true, force: true });
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    /** The broker under `wrangler dev`, and the dev server: emulator (HTTP and WebSocket) and `POST /dev/token`. */
    stack: { brokerUrl: string; devUrl: string };
  }
}
