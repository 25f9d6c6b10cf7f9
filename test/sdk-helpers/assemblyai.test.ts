import type { StreamingTranscriber as StreamingTranscriberClass } from "assemblyai";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assemblyaiToken } from "../../src/client/index";
import { installBrowserWebSocket } from "./browser-websocket";
import { keyClientFor, stack } from "./stack";

/**
 * `assemblyaiToken` as the `token` of the `assemblyai` SDK's
 * `StreamingTranscriber`, opening the emulator's streaming v3 socket with
 * tokens minted through the broker. The SDK's browser build is used, as a
 * page would load it: it connects with the global `WebSocket` and the token in
 * the URL. (Its Node build would do the same through `ws`.)
 */
let StreamingTranscriber: typeof StreamingTranscriberClass;
let uninstallWebSocket: () => void;

beforeAll(async () => {
  uninstallWebSocket = installBrowserWebSocket();
  // The browser build reads the global WebSocket when it loads, so it is imported after installing one.
  const packageDir = dirname(createRequire(import.meta.url).resolve("assemblyai/package.json"));
  const browserBuild = pathToFileURL(join(packageDir, "dist", "streaming.browser.mjs")).href;
  ({ StreamingTranscriber } = (await import(browserBuild)) as {
    StreamingTranscriber: typeof StreamingTranscriberClass;
  });
});
afterAll(() => uninstallWebSocket());

/** The SDK insists on `wss:`; the browser WebSocket installed above takes it to the emulator's plain socket. */
const websocketBaseUrl = () => `${stack.emulatorWsUrl.replace(/^ws:/, "wss:")}/v3/ws`;

/** One session the SDK's way: the `Begin` event once it opened, after which it is closed again. */
async function session(token: string) {
  // No retries: a refused token is refused again, and the test wants the first answer.
  const transcriber = new StreamingTranscriber({
    token,
    sampleRate: 16_000,
    websocketBaseUrl: websocketBaseUrl(),
    maxConnectionRetries: 0,
  });
  const begin = await transcriber.connect();
  await transcriber.close();
  return begin;
}

describe("assemblyaiToken with the assemblyai SDK's StreamingTranscriber", () => {
  it("mints a token for each session, each opening one", async () => {
    const { keys, mints } = await keyClientFor("assemblyai-sessions");
    const first = await assemblyaiToken(keys);
    await expect(session(first)).resolves.toMatchObject({ type: "Begin" });
    const second = await assemblyaiToken(keys);
    expect(second).not.toBe(first);
    await expect(session(second)).resolves.toMatchObject({ type: "Begin" });
    expect(mints()).toBe(2);
  });

  it("passes the broker options through: the session cap reaches the session", async () => {
    const { keys } = await keyClientFor("assemblyai-options");
    const token = await assemblyaiToken(keys, { ttl_seconds: 30, max_session_duration_seconds: 60 });
    const begin = await session(token);
    expect(begin.expires_at - Date.now() / 1000).toBeGreaterThan(50);
    expect(begin.expires_at - Date.now() / 1000).toBeLessThanOrEqual(60);
  });

  it("after AssemblyAI refuses a used token, the next call mints a new one that connects", async () => {
    const { keys, mints } = await keyClientFor("assemblyai-refused");
    const used = await assemblyaiToken(keys);
    await session(used);
    await expect(session(used)).rejects.toThrow("Unauthorized Connection: Temporary token has already been used");
    const fresh = await assemblyaiToken(keys);
    expect(fresh).not.toBe(used);
    await expect(session(fresh)).resolves.toMatchObject({ type: "Begin" });
    expect(mints()).toBe(2);
  });

  it("gives concurrent callers a token each", async () => {
    const { keys, mints } = await keyClientFor("assemblyai-concurrent");
    const tokens = await Promise.all([assemblyaiToken(keys), assemblyaiToken(keys), assemblyaiToken(keys)]);
    expect(new Set(tokens).size).toBe(3);
    expect(mints()).toBe(3);
    for (const token of tokens) await expect(session(token)).resolves.toMatchObject({ type: "Begin" });
  });

  it("is never cached, because the broker marks AssemblyAI tokens single-use", async () => {
    const { keys, mints } = await keyClientFor("assemblyai-cache");
    const direct = await keys.getKey("assemblyai");
    expect(direct.single_use).toBe(true);
    const token = await assemblyaiToken(keys);
    expect(token).not.toBe(direct.key);
    expect((await keys.getKey("assemblyai")).key).not.toBe(token);
    expect(mints()).toBe(3);
  });
});
