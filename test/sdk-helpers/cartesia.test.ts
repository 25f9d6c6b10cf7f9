import Cartesia from "@cartesia/cartesia-js";
import { TTSWS } from "@cartesia/cartesia-js/resources/tts/ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cartesiaToken } from "../../src/client/index";
import { installBrowserWebSocket } from "./browser-websocket";
import { keyClientFor, stack } from "./stack";

/**
 * `cartesiaToken` as the `token` of `@cartesia/cartesia-js`'s `new Cartesia({ token })`,
 * opening the emulator's TTS WebSocket with tokens minted through the broker.
 * The SDK runs as in a browser, with the global `WebSocket`: it then puts the
 * token in the query as `access_token` beside `cartesia_version`, as `connect`
 * says, and the emulator takes it only there or as `Authorization: Bearer`.
 */
let uninstallWebSocket: () => void;

beforeAll(() => {
  uninstallWebSocket = installBrowserWebSocket();
});
afterAll(() => uninstallWebSocket());

/** One generation over the SDK's TTS WebSocket: the event types it got. */
async function speak(token: string): Promise<string[]> {
  const client = new Cartesia({ token, baseURL: stack.emulatorUrl, maxRetries: 0 });
  const socket = await client.tts.websocket();
  const types: string[] = [];
  try {
    for await (const event of socket.generate({
      model_id: "sonic-3",
      transcript: "Hello from the broker.",
      voice: { mode: "id", id: "6ccbfb76-1fc6-48f7-b71d-91ac6298247b" },
      output_format: { container: "raw", encoding: "pcm_s16le", sample_rate: 16_000 },
    })) {
      types.push(event.type);
    }
  } finally {
    socket.close();
  }
  return types;
}

describe("cartesiaToken with @cartesia/cartesia-js", () => {
  it("speaks over the TTS WebSocket with a tts token from the broker, reused for the next client", async () => {
    const { keys, mints } = await keyClientFor("cartesia-tts");
    expect(await speak(await cartesiaToken(keys, { grants: ["tts"] }))).toEqual(["chunk", "done"]);
    expect(await speak(await cartesiaToken(keys, { grants: ["tts"] }))).toEqual(["chunk", "done"]);
    expect(mints()).toBe(1);
  });

  it("is refused at the TTS WebSocket with the default stt grant", async () => {
    const { keys } = await keyClientFor("cartesia-stt-only");
    const client = new Cartesia({ token: await cartesiaToken(keys), baseURL: stack.emulatorUrl, maxRetries: 0 });
    // Built as client.tts.websocket() builds it, with an error listener before it connects.
    const socket = new TTSWS(client);
    const errors: string[] = [];
    socket.on("error", (error) => errors.push(error.message));
    await expect(socket.connect()).rejects.toThrow(/403/);
    expect(errors.join()).toMatch(/403/);
  });
});
