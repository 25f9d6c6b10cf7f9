import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type Connect, type MintedKey, webSocketFor } from "../../src/client/index";
import vendorOptions from "../../src/generated/vendor-options.json";
import type { VendorId } from "../../src/client/index";
import { keyClientFor, stack } from "./stack";

/**
 * Every vendor's key, minted through the broker under `wrangler dev`, reaches
 * the emulator presented only as its `connect` says: the endpoint from
 * `connect` (or the answer's `url`), the key where `credential` puts it. The
 * vendor's own protocol after that (its start message, the app's query
 * parameters) is the test's. The same key presented another way is refused.
 */

/** Every vendor of the registry, as `npm run openapi` wrote them out. */
const vendorIds = Object.keys(vendorOptions) as VendorId[];

/** What the first exchange gave: the socket opened, a message came, it closed, or the handshake was refused. */
type First =
  | { event: "open" }
  | { event: "message"; text: string }
  | { event: "close"; code: number; reason: string }
  | { event: "refused"; status: number };

interface SocketUse {
  /** Query parameters the vendor wants from the app (a model, a sample rate), not from `connect`. */
  query?: Record<string, string>;
  /** The vendor's start message, built around the credential's field when it goes in the first message. */
  start?: (field: string | undefined, key: string) => string;
  /** True when the vendor speaks first, or answers the start message: the first message is then awaited. */
  awaitMessage: boolean;
  /** Whether that first exchange means the vendor took the key. */
  accepted: (first: First) => boolean;
  /**
   * With credential `sdk`, when the vendor's SDK opens another URL than the endpoint: that URL, with
   * the key in the query parameter `name` (LiveKit's signal path under its server URL).
   */
  sdkUrl?: (endpoint: string, key: string, name?: string) => string;
}

const isMessage = (first: First, test: (text: string) => boolean) => first.event === "message" && test(first.text);

/** Each WebSocket vendor's protocol around the credential, with its default options. */
const SOCKETS: Partial<Record<VendorId, SocketUse>> = {
  soniox: {
    start: (field, key) => JSON.stringify({ [field ?? ""]: key, model: "stt-rt-v3", audio_format: "auto" }),
    awaitMessage: true,
    accepted: (first) => isMessage(first, (text) => !text.includes("error_message")),
  },
  speechmatics: {
    start: () => JSON.stringify({ message: "StartRecognition", audio_format: { type: "file" } }),
    awaitMessage: true,
    accepted: (first) => isMessage(first, (text) => text.includes("RecognitionStarted")),
  },
  amivoice: {
    start: (field, key) => `s LSB16K -a-general ${field}=${key}`,
    awaitMessage: true,
    accepted: (first) => isMessage(first, (text) => text === "s"),
  },
  deepgram: {
    query: { model: "nova-3", encoding: "linear16", sample_rate: "16000" },
    awaitMessage: false,
    accepted: (first) => first.event === "open",
  },
  assemblyai: {
    query: { sample_rate: "16000" },
    awaitMessage: true,
    accepted: (first) => isMessage(first, (text) => text.includes('"Begin"')),
  },
  elevenlabs: {
    query: { model_id: "scribe_v2_realtime" },
    awaitMessage: true,
    accepted: (first) => isMessage(first, (text) => text.includes("session_started")),
  },
  gemini: {
    // The Live API's first message is the session's setup; a refused token closes the socket with 1008.
    start: () => JSON.stringify({ setup: { model: "models/gemini-live-2.5-flash-preview" } }),
    awaitMessage: true,
    accepted: (first) => isMessage(first, (text) => text.includes("setupComplete")),
  },
  cartesia: {
    query: { model: "ink-whisper", encoding: "pcm_s16le", sample_rate: "16000" },
    awaitMessage: false,
    accepted: (first) => first.event === "open",
  },
  azure: {
    // The Speech SDK's framing: its speech.config opens a turn, which the service starts with turn.start.
    query: { language: "en-US" },
    start: () => "Path: speech.config\r\nX-RequestId: 0123456789ABCDEF0123456789ABCDEF\r\n\r\n{}",
    awaitMessage: true,
    accepted: (first) => isMessage(first, (text) => text.includes("Path:turn.start")),
  },
  xai: {
    // The Voice Agent greets an accepted socket with conversation.created.
    awaitMessage: true,
    accepted: (first) => isMessage(first, (text) => text.includes("conversation.created")),
  },
  mistral: {
    // The realtime transcription socket greets an accepted token with session.created.
    awaitMessage: true,
    accepted: (first) => isMessage(first, (text) => text.includes("session.created")),
  },
  gladia: {
    // The session's URL carries its audio settings: the socket opens and waits for audio.
    awaitMessage: false,
    accepted: (first) => first.event === "open",
  },
  "twilio-voice": {
    // What the Voice SDK's Device does with the key: its signaling socket's `listen` carries it as `payload.token`.
    start: (field, key) =>
      JSON.stringify({ type: "listen", version: "1.6", payload: { [field ?? "token"]: key, browserinfo: {} } }),
    awaitMessage: true,
    accepted: (first) => isMessage(first, (text) => text.includes('"type":"connected"')),
  },
  "aws-transcribe": {
    // The presigned URL carries the stream's settings: the socket opens and waits for audio events.
    awaitMessage: false,
    accepted: (first) => first.event === "open",
  },
  livekit: {
    // What livekit-client's room.connect(endpoint, key) opens: the signal path under the server URL.
    sdkUrl: (endpoint, key, name = "access_token") => `${endpoint}/rtc/v1?${name}=${encodeURIComponent(key)}`,
    awaitMessage: true,
    accepted: (first) => isMessage(first, (text) => text.includes('"join"')),
  },
};

/** Opens the socket and reports the first exchange, then closes it. */
function firstExchange(url: string, protocols: string[], use: SocketUse, startMessage?: string): Promise<First> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, protocols);
    const done = (first: First) => {
      resolve(first);
      socket.terminate();
    };
    socket.on("unexpected-response", (_request, response) =>
      done({ event: "refused", status: response.statusCode ?? 0 }),
    );
    socket.on("error", () => done({ event: "refused", status: 0 }));
    socket.on("open", () => {
      if (startMessage !== undefined) socket.send(startMessage);
      if (!use.awaitMessage) done({ event: "open" });
    });
    socket.on("message", (data) => done({ event: "message", text: String(data) }));
    socket.on("close", (code, reason) => done({ event: "close", code, reason: String(reason) }));
  });
}

/** A WebSocket vendor's session, made from `connect` and the key alone. */
async function socketSession(minted: MintedKey, use: SocketUse): Promise<First> {
  const connect = minted.connect as Connect;
  const { credential } = connect;
  if (credential.in === "message") {
    if (connect.endpoint === null) throw new Error("no endpoint");
    return firstExchange(connect.endpoint, [], use, use.start?.(credential.field, minted.key));
  }
  if (credential.in === "sdk") {
    // The test stands in for the vendor's SDK, which opens the endpoint and presents the key its own way.
    if (connect.endpoint === null) throw new Error("no endpoint");
    const url = use.sdkUrl?.(connect.endpoint, minted.key) ?? connect.endpoint;
    return firstExchange(url, [], use, use.start?.(undefined, minted.key));
  }
  const { url, protocols } = webSocketFor(minted, { query: use.query ?? {} });
  return firstExchange(url, protocols, use, use.start?.(undefined, minted.key));
}

/** An HTTP or WebRTC vendor's request, with the header `connect` names; AceData has no one endpoint. */
async function httpRequest(minted: MintedKey, authorization?: string): Promise<number> {
  const { endpoint, credential, transport } = minted.connect as Connect;
  if (credential.in !== "header") throw new Error(`unexpected credential ${credential.in}`);
  const value = authorization ?? `${credential.scheme ? `${credential.scheme} ` : ""}${minted.key}`;
  if (transport === "webrtc") {
    const offer = "v=0\r\no=- 0 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
    const response = await fetch(endpoint ?? "", {
      method: "POST",
      headers: { [credential.name]: value, "Content-Type": "application/sdp" },
      body: offer,
    });
    await response.body?.cancel();
    return response.status;
  }
  const response = await fetch(`${stack.emulatorUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { [credential.name]: value, "Content-Type": "application/json" },
    body: JSON.stringify({ model: "demo", messages: [{ role: "user", content: "Say hello" }] }),
  });
  await response.body?.cancel();
  return response.status;
}

/** The same key presented another way than `connect` says: another parameter, header form or field. */
async function otherwise(minted: MintedKey, use: SocketUse): Promise<First> {
  const connect = minted.connect as Connect;
  const { credential } = connect;
  const endpoint = new URL(connect.endpoint ?? minted.url ?? "");
  for (const [name, value] of Object.entries(use.query ?? {})) endpoint.searchParams.set(name, value);
  switch (credential.in) {
    case "query":
      endpoint.searchParams.set(`${credential.name}_other`, minted.key);
      return firstExchange(endpoint.toString(), [], use, use.start?.(undefined, minted.key));
    case "subprotocols":
      endpoint.searchParams.set("token", minted.key);
      return firstExchange(endpoint.toString(), [], use);
    case "message":
      return firstExchange(endpoint.toString(), [], use, use.start?.(`${credential.field}_other`, minted.key));
    case "url":
      // The key moves out of the URL's parameter that carried it (ElevenLabs' conversation_signature, Gladia's token).
      for (const [name, value] of [...endpoint.searchParams]) {
        if (value !== minted.key) continue;
        endpoint.searchParams.delete(name);
        endpoint.searchParams.set(`${name}_other`, minted.key);
      }
      return firstExchange(endpoint.toString(), [], use, use.start?.(undefined, minted.key));
    case "sdk":
      if (use.sdkUrl) return firstExchange(use.sdkUrl(connect.endpoint ?? "", minted.key, "token"), [], use);
      return firstExchange(endpoint.toString(), [], use, use.start?.("token_other", minted.key));
    case "header":
      throw new Error("not a socket");
  }
}

const refusal = (first: First) =>
  first.event === "refused" ||
  (first.event === "close" && first.code !== 1000) ||
  (first.event === "message" && /error|validate|auth/i.test(first.text));

describe("a connection made from connect alone", () => {
  it.each(vendorIds)(
    "%s: the emulator takes the key as connect presents it, and refuses it otherwise",
    async (vendor) => {
      const { keys } = await keyClientFor(`connect-${vendor}`);
      const socket = SOCKETS[vendor];
      if (socket === undefined) {
        expect(await httpRequest(await keys.getKey(vendor))).toBeLessThan(300);
        expect(await httpRequest(await keys.getKey(vendor), (await keys.getKey(vendor)).key)).toBe(401);
        return;
      }
      const minted = await keys.getKey(vendor);
      // LiveKit's endpoint is the server URL itself, with no path.
      expect(minted.connect?.endpoint ?? minted.url).toMatch(
        new RegExp(`^ws://${new URL(stack.emulatorUrl).host}(/|$)`),
      );
      const first = await socketSession(minted, socket);
      expect(socket.accepted(first), JSON.stringify(first)).toBe(true);
      // A fresh key, as single-use vendors consume theirs, presented where connect does not say.
      keys.invalidate(vendor);
      const other = await otherwise(await keys.getKey(vendor), socket);
      expect(refusal(other), JSON.stringify(other)).toBe(true);
    },
  );

  it("elevenlabs agent: the signed url opens the conversation, and a bare key does not", async () => {
    const { keys } = await keyClientFor("connect-agent");
    const minted = await keys.getKey("elevenlabs", { kind: "agent", agent_id: "agent_connect_test" });
    expect(minted.connect).toEqual({ transport: "websocket", endpoint: null, credential: { in: "url" } });
    const use: SocketUse = {
      start: () => JSON.stringify({ type: "conversation_initiation_client_data" }),
      awaitMessage: true,
      accepted: (first) => first.event === "message",
    };
    const first = await socketSession(minted, use);
    expect(use.accepted(first), JSON.stringify(first)).toBe(true);
    keys.invalidate("elevenlabs");
    const other = await otherwise(
      await keys.getKey("elevenlabs", { kind: "agent", agent_id: "agent_connect_test" }),
      use,
    );
    expect(refusal(other), JSON.stringify(other)).toBe(true);
  });
});
