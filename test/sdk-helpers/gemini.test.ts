import { GoogleGenAI, type LiveServerMessage } from "@google/genai";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { geminiLiveOptions } from "../../src/client/index";
import { keyClientFor, stack } from "./stack";

/**
 * `geminiLiveOptions` as the options of `@google/genai`'s `GoogleGenAI`,
 * opening the emulator's Live socket with tokens minted through the broker
 * under `wrangler dev`. Given an `auth_tokens/…` key on `v1alpha`, the SDK
 * opens the Constrained method with `access_token` (in Node, through `ws`).
 */
const TRANSCRIPT = "Hello from the speech emulator.";
const MODEL = "gemini-live-2.5-flash-preview";

/** One Live session the SDK's way: the transcript, or the close code of a refused session. */
function liveSession(options: ConstructorParameters<typeof GoogleGenAI>[0], model = MODEL): Promise<string | number> {
  const words: string[] = [];
  let setup = false;
  return new Promise((resolve) => {
    // connect resolves only once the setup is complete, so a refused session is told by its close alone.
    void new GoogleGenAI(options).live
      .connect({
        model,
        callbacks: {
          onmessage: (message: LiveServerMessage) => {
            if (message.setupComplete) setup = true;
            const text = message.serverContent?.inputTranscription?.text;
            if (text) words.push(text);
          },
          onclose: (event: CloseEvent) => resolve(setup ? words.join(" ") : event.code),
        },
      })
      .then((session) => session.sendRealtimeInput({ audio: { data: "AAAA", mimeType: "audio/pcm;rate=16000" } }));
  });
}

describe("geminiLiveOptions with @google/genai's Live client", () => {
  it("gives the token as the SDK's key on v1alpha, pointed at the broker's Gemini host", async () => {
    const { keys } = await keyClientFor("gemini-options");
    const options = await geminiLiveOptions(keys);
    expect(options).toEqual({
      apiKey: expect.stringMatching(/^auth_tokens\//),
      httpOptions: { apiVersion: "v1alpha", baseUrl: stack.emulatorUrl },
    });
  });

  it("mints a one-use token for each session, each opening one", async () => {
    const { keys, mints } = await keyClientFor("gemini-sessions");
    const first = await geminiLiveOptions(keys);
    expect(await liveSession(first)).toBe(TRANSCRIPT);
    // The token's one use is spent.
    expect(await liveSession(first)).toBe(1008);
    const second = await geminiLiveOptions(keys);
    expect(second.apiKey).not.toBe(first.apiKey);
    expect(await liveSession(second)).toBe(TRANSCRIPT);
    expect(mints()).toBe(2);
  });

  it("reuses a token of several uses, and passes the model lock through", async () => {
    const { keys, mints } = await keyClientFor("gemini-uses");
    const options = await geminiLiveOptions(keys, { uses: 2, model: MODEL });
    expect(await liveSession(options, "gemini-2.0-flash-live-001")).toBe(1008);
    expect(await liveSession(await geminiLiveOptions(keys, { uses: 2, model: MODEL }))).toBe(TRANSCRIPT);
    expect(mints()).toBe(1);
  });

  it("is refused by the plain BidiGenerateContent method, as the SDK on v1beta would call it", async () => {
    const { keys } = await keyClientFor("gemini-v1beta");
    const { apiKey } = await geminiLiveOptions(keys);
    const url = `${stack.emulatorWsUrl}/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContent?key=${apiKey}`;
    const code = await new Promise<number>((resolve) => {
      new WebSocket(url).on("close", (closeCode) => resolve(closeCode));
    });
    expect(code).toBe(1008);
  });
});
