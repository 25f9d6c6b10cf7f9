import { type AudioSource, resolveConnectionConfig, SonioxClient } from "@soniox/client";
import { beforeAll, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import type { RecordedRequest } from "../../dev/emulator/recorded";
import {
  createKeyClient,
  type KeyClient,
  type SonioxApiKey,
  type SonioxConfig,
  sonioxApiKey,
  sonioxConfig,
} from "../../src/client/index";
import { idTokenFor, keyClientFor, stack } from "./stack";

/**
 * `@soniox/client` 2.3, the real SDK, with `sonioxConfig` as its `config`:
 * recordings and sessions against the emulator's Soniox WebSocket, with keys
 * minted through the broker under `wrangler dev`.
 */
const STT_WS_URL = `${stack.emulatorWsUrl}/transcribe-websocket`;
const SESSION = { model: "stt-rt-v3", audio_format: "pcm_s16le", sample_rate: 16_000, num_channels: 1 } as const;
const TRANSCRIPT = "Hello from the speech emulator.";
/** Nothing listens here, so a connection fails at once. */
const CLOSED_WS_URL = "ws://127.0.0.1:1/transcribe-websocket";

beforeAll(() => {
  // The SDK opens sockets with the global WebSocket, which Node 20 does not have.
  Object.assign(globalThis, { WebSocket });
});

/** Three 100 ms chunks of 16 kHz mono PCM16 silence stand in for the microphone. */
const silence = (): AudioSource => ({
  async start({ onData }) {
    for (let i = 0; i < 3; i++) onData(new ArrayBuffer(3200));
  },
  stop() {},
});

interface Outcome {
  transcript: string;
  error?: Error;
  reconnected: boolean;
}

/** One recording, with its errors passed to `config.refused` as the helper's docs say; settles when it ends. */
function record(client: SonioxClient, config: SonioxConfig, { reconnectOnce = false } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const recording = client.realtime.record({
      ...SESSION,
      source: silence(),
      ...(reconnectOnce ? { auto_reconnect: true, reconnect_base_delay_ms: 10 } : {}),
    });
    let transcript = "";
    let reconnected = false;
    recording.on("error", config.refused);
    recording.on("result", (result) => (transcript += result.tokens.map((token) => token.text).join("")));
    recording.once("connected", () => reconnectOnce && recording.reconnect());
    recording.on("reconnected", () => (reconnected = true));
    recording.on("finished", () => resolve({ transcript: transcript.trim(), reconnected }));
    recording.on("error", (error) => resolve({ transcript: transcript.trim(), error, reconnected }));
  });
}

/** The Soniox issuance requests the broker sent for `user`, oldest first. */
async function issuedFor(user: string): Promise<Record<string, unknown>[]> {
  const recorded = (await (await fetch(`${stack.emulatorUrl}/__emulator/requests`)).json()) as RecordedRequest[];
  return recorded
    .filter((r) => r.vendor === "soniox")
    .map((r) => r.body as Record<string, unknown>)
    .filter((body) => body.client_reference_id === user);
}

/**
 * The broker's client on a device whose clock runs a minute behind: it keeps
 * handing out a cached key that Soniox already counts as expired.
 */
async function keyClientBehindFor(user: string): Promise<{ keys: KeyClient; mints: () => number }> {
  const token = await idTokenFor(user);
  let mints = 0;
  const keys = createKeyClient({
    baseUrl: stack.brokerUrl,
    getIdToken: () => token,
    refreshMarginSeconds: -60,
    fetch: (input, init) => {
      mints++;
      return fetch(input, init);
    },
  });
  return { keys, mints: () => mints };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("sonioxConfig with @soniox/client", () => {
  it("gives each recording a fresh single-use transcription key and connects to the configured URL", async () => {
    const { keys, mints } = await keyClientFor("soniox-record");
    const config = sonioxConfig(keys, { stt_ws_url: STT_WS_URL });
    const client = new SonioxClient({ config });

    expect(await record(client, config)).toEqual({ transcript: TRANSCRIPT, reconnected: false });
    expect(await record(client, config)).toEqual({ transcript: TRANSCRIPT, reconnected: false });
    expect(mints()).toBe(2);
    const issued = await issuedFor("soniox-record");
    expect(issued).toHaveLength(2);
    for (const body of issued) expect(body).toMatchObject({ usage_type: "transcribe_websocket", single_use: true });
  });

  it("mints a new key when the recording reconnects", async () => {
    const { keys, mints } = await keyClientFor("soniox-reconnect");
    const config = sonioxConfig(keys, { stt_ws_url: STT_WS_URL });
    const client = new SonioxClient({ config });

    // The second connection would be refused if it reused the first one's single-use key.
    expect(await record(client, config, { reconnectOnce: true })).toEqual({
      transcript: TRANSCRIPT,
      reconnected: true,
    });
    expect(mints()).toBe(2);
  });

  it("returns the region or URLs the app configured with the key", async () => {
    const { keys } = await keyClientFor("soniox-endpoints");
    const inEu = await sonioxConfig(keys, { region: "eu", ttl_seconds: 60 })();
    expect(inEu).toMatchObject({ api_key: expect.stringMatching(/^temp:/), region: "eu" });
    expect(resolveConnectionConfig(inEu).stt_ws_url).toBe("wss://stt-rt.eu.soniox.com/transcribe-websocket");

    const urls = { stt_ws_url: STT_WS_URL, tts_ws_url: "ws://127.0.0.1:9/tts", api_domain: "http://127.0.0.1:9" };
    const explicit = await sonioxConfig(keys, urls)();
    expect(explicit).toMatchObject(urls);
    expect(resolveConnectionConfig(explicit)).toMatchObject(urls);
    // The broker got only its own options.
    expect((await issuedFor("soniox-endpoints"))[0]).toMatchObject({ expires_in_seconds: 60, single_use: true });
  });

  it("asks for a tts_rt key when the SDK opens a text-to-speech stream", async () => {
    const tts = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    const firstMessage = new Promise<Record<string, unknown>>((resolve) =>
      tts.on("connection", (socket) => socket.once("message", (data) => resolve(JSON.parse(String(data))))),
    );
    try {
      const { keys } = await keyClientFor("soniox-tts");
      const port = (tts.address() as { port: number }).port;
      const client = new SonioxClient({ config: sonioxConfig(keys, { tts_ws_url: `ws://127.0.0.1:${port}/tts` }) });

      const stream = await client.realtime.tts({
        model: "tts-rt-v1",
        voice: "Adrian",
        language: "en",
        audio_format: "wav",
      });
      expect(await firstMessage).toMatchObject({ api_key: expect.stringMatching(/^temp:/), voice: "Adrian" });
      stream.close();
      expect(await issuedFor("soniox-tts")).toEqual([
        expect.objectContaining({ usage_type: "tts_rt", single_use: true }),
      ]);
    } finally {
      tts.close();
    }
  });

  it("sees a single-use key refused on its second use, and mints a fresh one next", async () => {
    const { keys, mints } = await keyClientFor("soniox-single-use");
    const config = sonioxConfig(keys);
    // The low-level session takes the key itself, so one key can be offered twice.
    const client = new SonioxClient({ config, ws_base_url: STT_WS_URL });
    const session = async (apiKey: string) => {
      const stt = client.realtime.stt(SESSION, { api_key: apiKey });
      const failed = new Promise<Error>((resolve) => stt.on("error", resolve));
      await stt.connect();
      return Promise.race([stt.finish().then(() => undefined), failed]);
    };

    const { api_key } = await config();
    expect(await session(api_key)).toBeUndefined();
    const refusal = await session(api_key);
    expect(refusal).toMatchObject({
      name: "AuthError",
      code: "auth_error",
      message: "Temporary API key was already used.",
    });
    expect(config.refused(refusal)).toBe(true);

    const next = await config();
    expect(next.api_key).not.toBe(api_key);
    expect(await session(next.api_key)).toBeUndefined();
    expect(mints()).toBe(2);
  });

  it("forgets a refused reusable key, so the next recording mints another", async () => {
    const { keys, mints } = await keyClientBehindFor("soniox-refused");
    const config = sonioxConfig(keys, { stt_ws_url: STT_WS_URL, single_use: false, ttl_seconds: 1 });
    const client = new SonioxClient({ config });

    expect(await record(client, config)).toMatchObject({ transcript: TRANSCRIPT });
    await sleep(1_100);
    const refused = await record(client, config);
    expect(refused.error).toMatchObject({ code: "auth_error", message: "Temporary API key has expired." });
    expect(mints()).toBe(1);

    expect(await record(client, config)).toEqual({ transcript: TRANSCRIPT, reconnected: false });
    expect(mints()).toBe(2);
  });

  it("keeps a reusable key after a failure that is not a refusal", async () => {
    const { keys, mints } = await keyClientFor("soniox-not-refused");
    const config = sonioxConfig(keys, { stt_ws_url: CLOSED_WS_URL, single_use: false });
    const failed = await record(new SonioxClient({ config }), config);
    expect(failed.error).toMatchObject({ code: "connection_error" });
    expect(config.refused(failed.error)).toBe(false);

    await config();
    expect(mints()).toBe(1);
  });
});

/**
 * `@soniox/speech-to-text-web` 1.4, the real SDK, with `sonioxApiKey` as its
 * `apiKey`. It is written for browsers: it looks for `window` and
 * `navigator.mediaDevices` when loaded, records with `MediaRecorder` and
 * connects with the global WebSocket. Node gets stand-ins for the first three
 * (a silent stream that records nothing) and `ws` for the socket, so the SDK's
 * own code opens the socket, asks `apiKey` for the key, sends it and reads the
 * transcript or the refusal.
 */
describe("sonioxApiKey with @soniox/speech-to-text-web", () => {
  type WebClient = typeof import("@soniox/speech-to-text-web").SonioxClient;
  type WebError = { status: string; message: string; errorCode: number | undefined };
  let WebSonioxClient: WebClient;

  beforeAll(async () => {
    class SilentRecorder extends EventTarget {
      constructor(readonly stream: MediaStream) {
        super();
      }
      start() {}
      stop() {}
    }
    const navigator = { mediaDevices: { getUserMedia: async () => silentStream() } };
    Object.defineProperty(globalThis, "navigator", { value: navigator, configurable: true });
    Object.assign(globalThis, { window: globalThis, MediaRecorder: SilentRecorder });
    ({ SonioxClient: WebSonioxClient } = await import("@soniox/speech-to-text-web"));
  });

  const silentStream = () => ({ clone: silentStream, getTracks: () => [] }) as unknown as MediaStream;

  /** One `start()`, with `onError: apiKey.refused` as the helper's docs say; settles when the SDK finishes or fails. */
  function transcribe(apiKey: SonioxApiKey, webSocketUri = STT_WS_URL): Promise<{ text: string; error?: WebError }> {
    return new Promise((resolve) => {
      let text = "";
      const client = new WebSonioxClient({ apiKey, webSocketUri, onError: apiKey.refused });
      void client.start({
        model: "stt-rt-v3",
        stream: silentStream(),
        onPartialResult: (result) => (text += result.tokens.map((token) => token.text).join("")),
        onFinished: () => resolve({ text: text.trim() }),
        onError: (status, message, errorCode) => resolve({ text, error: { status, message, errorCode } }),
      });
    });
  }

  it("gives each start() a fresh single-use transcription key", async () => {
    const { keys, mints } = await keyClientFor("soniox-web");
    const apiKey = sonioxApiKey(keys, { ttl_seconds: 60 });

    expect(await transcribe(apiKey)).toEqual({ text: TRANSCRIPT });
    expect(await transcribe(apiKey)).toEqual({ text: TRANSCRIPT });
    expect(mints()).toBe(2);
    const issued = await issuedFor("soniox-web");
    expect(issued).toHaveLength(2);
    for (const body of issued) {
      expect(body).toMatchObject({ usage_type: "transcribe_websocket", single_use: true, expires_in_seconds: 60 });
    }
  });

  it("forgets a refused reusable key, so the next start() mints another", async () => {
    const { keys, mints } = await keyClientBehindFor("soniox-web-refused");
    const apiKey = sonioxApiKey(keys, { single_use: false, ttl_seconds: 1 });

    expect(await transcribe(apiKey)).toEqual({ text: TRANSCRIPT });
    await sleep(1_100);
    expect((await transcribe(apiKey)).error).toEqual({
      status: "api_error",
      message: "Temporary API key has expired.",
      errorCode: 401,
    });
    expect(mints()).toBe(1);

    expect(await transcribe(apiKey)).toEqual({ text: TRANSCRIPT });
    expect(mints()).toBe(2);
  });

  it("keeps a reusable key after a failure that is not a refusal", async () => {
    const { keys, mints } = await keyClientFor("soniox-web-not-refused");
    const apiKey = sonioxApiKey(keys, { single_use: false });
    expect(await transcribe(apiKey)).toEqual({ text: TRANSCRIPT });

    const failed = await transcribe(apiKey, CLOSED_WS_URL);
    expect(failed.error).toMatchObject({ status: "websocket_error" });
    expect(apiKey.refused("websocket_error", failed.error?.message)).toBe(false);
    expect(apiKey.refused("api_error", "Invalid model.", 400)).toBe(false);

    expect(await transcribe(apiKey)).toEqual({ text: TRANSCRIPT });
    expect(mints()).toBe(1);
  });
});
