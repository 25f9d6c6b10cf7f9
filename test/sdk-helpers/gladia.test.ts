import { GladiaClient } from "@gladiaio/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gladiaSession } from "../../src/client/index";
import { installBrowserWebSocket } from "./browser-websocket";
import { keyClientFor, stack } from "./stack";

/**
 * `gladiaSession` with `@gladiaio/sdk`'s `connectSession`: a live session the
 * broker created on the emulator, opened by the SDK from its URL alone, as in a
 * browser (the global `WebSocket`, no API key, an `apiUrl` off `*.gladia.io`).
 */
let uninstallWebSocket: () => void;

beforeAll(() => {
  uninstallWebSocket = installBrowserWebSocket();
});
afterAll(() => uninstallWebSocket());

/** Streams 100 ms of silence, stops, and resolves with the transcript texts and how the session ended. */
function transcribe(session: ReturnType<ReturnType<GladiaClient["liveV2"]>["connectSession"]>) {
  return new Promise<{ texts: string[]; code: number; errors: string[] }>((resolve) => {
    const texts: string[] = [];
    const errors: string[] = [];
    session.on("message", (message) => {
      if (message.type !== "transcript") return;
      texts.push(message.data.utterance.text);
      if (texts.length === 1) session.stopRecording();
    });
    session.on("error", (error) => errors.push(error.message));
    session.on("ended", ({ code }) => resolve({ texts, code, errors }));
    session.sendAudio(new Uint8Array(3200));
  });
}

describe("gladiaSession with @gladiaio/sdk", () => {
  it("opens the broker's session with connectSession and transcribes; each session is minted anew", async () => {
    const { keys, mints } = await keyClientFor("gladia-live");
    const gladia = new GladiaClient({ apiUrl: stack.emulatorUrl, wsRetry: { maxAttemptsPerConnection: 1 } });
    const options = { sample_rate: 16000 as const, languages: "en" };
    const first = await gladiaSession(keys, options);
    const session = gladia.liveV2().connectSession(first);
    expect(await session.getSessionId()).toBe(first.id);
    const result = await transcribe(session);
    expect(result.errors).toEqual([]);
    expect(result.code).toBe(1000);
    expect(result.texts.join(" ")).toBe("Hello from the speech emulator.");

    const second = await gladiaSession(keys, options);
    expect(second.url).not.toBe(first.url);
    expect(mints()).toBe(2);
  });

  it("is refused at the socket when the URL lost its token", async () => {
    const { keys } = await keyClientFor("gladia-refused");
    const gladia = new GladiaClient({ apiUrl: stack.emulatorUrl, wsRetry: { maxAttemptsPerConnection: 1 } });
    const { id, url } = await gladiaSession(keys);
    const bare = new URL(url);
    bare.searchParams.delete("token");
    const session = gladia.liveV2().connectSession({ id, url: bare.toString() });
    const ended = await new Promise<{ code: number; errors: number }>((resolve) => {
      let errors = 0;
      session.on("error", () => errors++);
      session.on("ended", ({ code }) => resolve({ code, errors }));
    });
    expect(ended.code).not.toBe(1000);
  });
});
