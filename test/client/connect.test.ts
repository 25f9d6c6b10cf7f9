import { describe, expect, it } from "vitest";
import { type Connect, type MintedKey, webSocketFor } from "../../src/client/index";

/** `webSocketFor`: a minted key's `connect` as the arguments of a browser's `new WebSocket(url, protocols)`. */

const BEARER = { in: "header", name: "Authorization", scheme: "Bearer" } as const;

function minted(vendor: MintedKey["vendor"], connect: Connect | undefined, extra: Partial<MintedKey> = {}): MintedKey {
  return {
    vendor,
    key: "k&y/1",
    expires_at: "2026-03-02T15:00:00.000Z",
    ttl_seconds: 60,
    client_ref: "alice",
    issuance_id: "01JAAAAAAAAAAAAAAAAAAAAAAA",
    ...(connect === undefined ? {} : { connect }),
    ...extra,
  };
}

describe("webSocketFor", () => {
  it("puts the key in the query parameter connect names, after the app's parameters", () => {
    const key = minted("assemblyai", {
      transport: "websocket",
      endpoint: "wss://streaming.assemblyai.com/v3/ws",
      credential: { in: "query", name: "token" },
    });
    expect(webSocketFor(key, { query: { sample_rate: "16000", token: "not-the-key" } })).toEqual({
      url: "wss://streaming.assemblyai.com/v3/ws?sample_rate=16000&token=k%26y%2F1",
      protocols: [],
    });
  });

  it("writes the scheme and a space before the key in a query parameter that has one (Azure)", () => {
    const key = minted("azure", {
      transport: "websocket",
      endpoint: "wss://westeurope.stt.speech.microsoft.com/speech/recognition/conversation/cognitiveservices/v1",
      credential: { in: "query", name: "Authorization", scheme: "Bearer" },
    });
    const { url, protocols } = webSocketFor(key, { query: { language: "en-US" } });
    expect(protocols).toEqual([]);
    expect(new URL(url).searchParams.get("Authorization")).toBe("Bearer k&y/1");
    expect(url).toBe(
      "wss://westeurope.stt.speech.microsoft.com/speech/recognition/conversation/cognitiveservices/v1?language=en-US&Authorization=Bearer+k%26y%2F1",
    );
  });

  it("puts the key in the subprotocols in place of {key}", () => {
    const key = minted("deepgram", {
      transport: "websocket",
      endpoint: "wss://api.deepgram.com/v1/listen",
      credential: { in: "subprotocols", protocols: ["bearer", "{key}"] },
    });
    expect(webSocketFor(key, { query: { model: "nova-3" } })).toEqual({
      url: "wss://api.deepgram.com/v1/listen?model=nova-3",
      protocols: ["bearer", "k&y/1"],
    });
  });

  it("adds the vendor's required parameters and fills {name} path segments", () => {
    const key = minted("elevenlabs", {
      transport: "websocket",
      endpoint: "wss://api.elevenlabs.io/v1/text-to-speech/{voice_id}/stream-input",
      credential: { in: "query", name: "single_use_token" },
      params: { version: "2026-01-01" },
    });
    expect(webSocketFor(key, { path: { voice_id: "voice 1" } }).url).toBe(
      "wss://api.elevenlabs.io/v1/text-to-speech/voice%201/stream-input?version=2026-01-01&single_use_token=k%26y%2F1",
    );
    expect(() => webSocketFor(key)).toThrow("elevenlabs's endpoint needs options.path.voice_id");
  });

  it("opens the answer's url when the credential is in it", () => {
    const url = "wss://api.elevenlabs.io/v1/convai/conversation?agent_id=a&conversation_signature=s";
    const key = minted("elevenlabs", { transport: "websocket", endpoint: null, credential: { in: "url" } }, { url });
    expect(webSocketFor(key)).toEqual({ url, protocols: [] });
    expect(() => webSocketFor({ ...key, url: undefined })).toThrow("the answer has none");
  });

  it.each([
    [
      "openai",
      { transport: "webrtc", endpoint: "https://api.openai.com/v1/realtime/calls", credential: BEARER },
      "openai connects over webrtc",
    ],
    ["acedata", { transport: "http", endpoint: null, credential: BEARER }, "acedata connects over http"],
    [
      "soniox",
      {
        transport: "websocket",
        endpoint: "wss://stt-rt.soniox.com/transcribe-websocket",
        credential: { in: "message", field: "api_key" },
      },
      "soniox takes the key in the first message's api_key",
    ],
    [
      "amivoice",
      {
        transport: "websocket",
        endpoint: "wss://acp-api.amivoice.com/v1/",
        credential: { in: "message", field: "authorization" },
      },
      "amivoice takes the key in the first message's authorization",
    ],
    ["deepgram", undefined, "the broker's answer has no connect"],
  ] as const)("refuses %s, whose key does not go in a WebSocket's URL or subprotocols", (vendor, connect, message) => {
    expect(() => webSocketFor(minted(vendor, connect as Connect | undefined))).toThrow(message);
  });
});
