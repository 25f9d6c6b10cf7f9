import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { amivoiceAccount } from "../../dev/emulator/amivoice";
import { type EmulatorServer, emulators, startEmulator } from "../../dev/emulator/server";
import { vi } from "vitest";

/** The emulator's speech endpoints check keys the way the vendors do. */
let emulator: EmulatorServer;
const masterKey = (vendor: string) => emulators.find((e) => e.vendor === vendor)?.masterKey ?? "";

beforeAll(async () => {
  emulator = await startEmulator({ publicJwks: { keys: [] } });
});
afterAll(() => emulator.close());

async function issueAmiVoiceKey(form: Record<string, string>, bearer?: string): Promise<string> {
  const response = await fetch(`${emulator.url}/issue_service_authorization`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    body: new URLSearchParams(form).toString(),
  });
  expect(response.status).toBe(200);
  return (await response.text()).trim();
}

async function issueSonioxKey(body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${emulator.url}/v1/auth/temporary-api-key`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${masterKey("soniox")}` },
    body: JSON.stringify({ usage_type: "transcribe_websocket", ...body }),
  });
  return ((await response.json()) as { api_key: string }).api_key;
}

/** Opens a socket, sends the first message, and collects everything until the server closes. */
function session(path: string, first: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${emulator.url.replace("http", "ws")}${path}`);
    const messages: string[] = [];
    socket.on("open", () => socket.send(first));
    socket.on("message", (data) => messages.push(String(data)));
    socket.on("close", () => resolve(messages));
    socket.on("error", reject);
  });
}

const amivoiceStart = (key: string) => `s LSB16K -a-general authorization=${key}`;

describe("AmiVoice speech endpoint", () => {
  it("accepts a key bound to the caller's address and streams results", async () => {
    const key = await issueAmiVoiceKey({ epi: "60000", ipa: "127.0.0.1" }, masterKey("amivoice"));
    const messages = await session("/v1/", amivoiceStart(key));
    expect(messages[0]).toBe("s");
    expect(messages.filter((m) => m.startsWith("A "))).toHaveLength(5);
    expect(messages.at(-1)).toBe("e");
  });

  it("refuses a key bound to another address", async () => {
    const key = await issueAmiVoiceKey({ epi: "60000", ipa: "203.0.113.0/24" }, masterKey("amivoice"));
    expect(await session("/v1/", amivoiceStart(key))).toEqual(["s can't validate service authorization"]);
  });

  it("accepts a key bound to a range that holds the caller", async () => {
    const key = await issueAmiVoiceKey({ epi: "60000", ipa: "10.0.0.1,127.0.0.0/8" }, masterKey("amivoice"));
    expect((await session("/v1/", amivoiceStart(key)))[0]).toBe("s");
  });

  it("refuses, at the speech endpoint, a key issued with a wrong sid/spw", async () => {
    const good = await issueAmiVoiceKey({ epi: "60000", sid: amivoiceAccount.sid, spw: amivoiceAccount.spw });
    const bad = await issueAmiVoiceKey({ epi: "60000", sid: amivoiceAccount.sid, spw: "wrong" });
    expect((await session("/v1/", amivoiceStart(good)))[0]).toBe("s");
    expect(await session("/v1/", amivoiceStart(bad))).toEqual(["s can't validate service authorization"]);
  });

  it("refuses an expired key", async () => {
    const key = await issueAmiVoiceKey({ epi: "1" }, masterKey("amivoice"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await session("/v1/", amivoiceStart(key))).toEqual(["s can't validate service authorization"]);
  });
});

describe("Soniox speech endpoint", () => {
  const config = (key: string) => JSON.stringify({ api_key: key, model: "stt-rt-v3" });

  it("lets a single-use key in once", async () => {
    const key = await issueSonioxKey({ expires_in_seconds: 60, single_use: true });
    const first = await session("/transcribe-websocket", config(key));
    expect(first.at(-1)).toBe(JSON.stringify({ tokens: [], finished: true }));
    const second = await session("/transcribe-websocket", config(key));
    expect(second).toEqual([JSON.stringify({ error_code: 401, error_message: "Temporary API key was already used." })]);
  });

  it("lets a multi-use key in again", async () => {
    const key = await issueSonioxKey({ expires_in_seconds: 60 });
    await session("/transcribe-websocket", config(key));
    expect((await session("/transcribe-websocket", config(key))).at(-1)).toContain('"finished":true');
  });

  it("refuses a key it did not mint", async () => {
    const messages = await session("/transcribe-websocket", config("temp:NOTMINTEDHERE"));
    expect(messages).toEqual([JSON.stringify({ error_code: 401, error_message: "Invalid API key." })]);
  });

  it("refuses the retired stt-rt-preview model, as Soniox does", async () => {
    const key = await issueSonioxKey({ expires_in_seconds: 60 });
    const retired = JSON.stringify({ api_key: key, model: "stt-rt-preview" });
    const messages = await session("/transcribe-websocket", retired);
    expect(messages).toEqual([JSON.stringify({ error_code: 400, error_message: "Invalid model specified." })]);
  });
});

describe("Speechmatics real-time endpoint", () => {
  it("refuses an unknown key with a not_authorised Error", async () => {
    const messages = await session("/v2?jwt=nope", JSON.stringify({ message: "StartRecognition" }));
    expect(JSON.parse(messages[0] ?? "{}")).toMatchObject({ message: "Error", type: "not_authorised" });
  });
});

describe("AssemblyAI streaming endpoint", () => {
  async function issueAssemblyAiToken(query: string): Promise<string> {
    const response = await fetch(`${emulator.url}/v3/token?${query}`, {
      headers: { authorization: masterKey("assemblyai") },
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { token: string }).token;
  }

  /** Connects with the token, sends audio after Begin and Terminate after the final Turn; resolves on close. */
  function stream(query: string): Promise<{ frames: Record<string, unknown>[]; code: number; reason: string }> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${emulator.url.replace("http", "ws")}/v3/ws?${query}`);
      const frames: Record<string, unknown>[] = [];
      socket.on("message", (data) => {
        const frame = JSON.parse(String(data)) as Record<string, unknown>;
        frames.push(frame);
        if (frame.type === "Begin") socket.send(Buffer.alloc(3200));
        if (frame.type === "Turn" && frame.end_of_turn) socket.send(JSON.stringify({ type: "Terminate" }));
      });
      socket.on("close", (code, reason) => resolve({ frames, code, reason: String(reason) }));
      socket.on("error", reject);
    });
  }

  const refused = (error: string) => ({
    frames: [{ type: "Error", error_code: 1008, error }],
    code: 1008,
    reason: error,
  });

  it("lets a token in once, then refuses it as already used", async () => {
    const token = await issueAssemblyAiToken("expires_in_seconds=60");
    const first = await stream(`sample_rate=16000&token=${token}`);
    expect(first.frames.map((f) => f.type)).toEqual([
      "Begin",
      "Turn",
      "Turn",
      "Turn",
      "Turn",
      "Turn",
      "Turn",
      "Termination",
    ]);
    expect(first.code).toBe(1000);
    expect(await stream(`sample_rate=16000&token=${token}`)).toEqual(
      refused("Unauthorized Connection: Temporary token has already been used"),
    );
  });

  it("refuses a token whose redemption window has passed", async () => {
    const token = await issueAssemblyAiToken("expires_in_seconds=1");
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    expect(await stream(`sample_rate=16000&token=${token}`)).toEqual(
      refused("Unauthorized Connection: Temporary token has expired"),
    );
  });

  it("refuses a token it did not issue, and a connection with none", async () => {
    expect(await stream("sample_rate=16000&token=eyJ.e30.NOTISSUED")).toEqual(
      refused("Unauthorized Connection: Invalid API key"),
    );
    expect(await stream("sample_rate=16000")).toEqual(refused("Unauthorized Connection: Missing Authorization header"));
  });

  it("requires a sample rate for PCM audio", async () => {
    const token = await issueAssemblyAiToken("expires_in_seconds=60");
    const session = await stream(`token=${token}`);
    expect(session.code).toBe(3006);
    expect(session.frames).toEqual([
      { type: "Error", error_code: 3006, error: "Invalid Query Parameter: sample_rate must be a positive integer" },
    ]);
  });

  it("starts the session with the cap the token carries", async () => {
    const token = await issueAssemblyAiToken("expires_in_seconds=60&max_session_duration_seconds=120");
    const { frames } = await stream(`sample_rate=16000&token=${token}`);
    const expiresAt = frames[0]?.expires_at as number;
    expect(Math.abs(expiresAt - (Math.floor(Date.now() / 1000) + 120))).toBeLessThanOrEqual(3);
  });
});

describe("OpenAI WebRTC calls endpoint", () => {
  const OFFER = "v=0\r\no=- 0 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";

  async function clientSecret(seconds: number): Promise<string> {
    const response = await fetch(`${emulator.url}/v1/realtime/client_secrets`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${masterKey("openai")}` },
      body: JSON.stringify({ expires_after: { anchor: "created_at", seconds }, session: { type: "realtime" } }),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { value: string }).value;
  }

  const call = (secret: string) =>
    fetch(`${emulator.url}/v1/realtime/calls`, {
      method: "POST",
      headers: { "content-type": "application/sdp", authorization: `Bearer ${secret}` },
      body: OFFER,
    });

  it("answers every offer made with a secret until it expires, then refuses it with OpenAI's error body", async () => {
    const secret = await clientSecret(10);
    expect((await call(secret)).status).toBe(201);
    expect((await call(secret)).status).toBe(201);
    const now = Date.now();
    // The secret lives 10 whole seconds from its creation second.
    vi.spyOn(Date, "now").mockReturnValue(now + 10_000);
    try {
      const refused = await call(secret);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({
        error: {
          message: "The client secret provided has expired.",
          type: "invalid_request_error",
          param: null,
          code: "invalid_api_key",
        },
      });
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("refuses a secret it never issued, and a non-Bearer header", async () => {
    const unknown = await call("ek_0123456789abcdef0123456789abcdef");
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
    const secret = await clientSecret(60);
    const basic = await fetch(`${emulator.url}/v1/realtime/calls`, {
      method: "POST",
      headers: { "content-type": "application/sdp", authorization: `Basic ${secret}` },
      body: OFFER,
    });
    expect(basic.status).toBe(401);
    expect(((await basic.json()) as { error: { message: string } }).error.message).toContain(
      "You didn't provide an API key",
    );
  });
});

describe("Deepgram live endpoint", () => {
  async function grantDeepgramToken(ttlSeconds: number): Promise<string> {
    const response = await fetch(`${emulator.url}/v1/auth/grant`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Token ${masterKey("deepgram")}` },
      body: JSON.stringify({ ttl_seconds: ttlSeconds }),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  /** Opens /v1/listen; the subprotocol agreed and the message types received, or the handshake's refusal. */
  function listen(
    options: { headers?: Record<string, string>; protocols?: string[] } = {},
  ): Promise<{ protocol: string; types: string[] } | { status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${emulator.url.replace("http", "ws")}/v1/listen?model=nova-3`, options.protocols, {
        headers: options.headers,
      });
      const types: string[] = [];
      socket.on("open", () => socket.send(Buffer.alloc(3200)));
      socket.on("message", (data) => types.push((JSON.parse(String(data)) as { type: string }).type));
      socket.on("close", () => resolve({ protocol: socket.protocol, types }));
      socket.on("unexpected-response", (_request, response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => (text += chunk.toString()));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
      });
      socket.on("error", reject);
    });
  }

  const accepted = (protocol = "") => ({
    protocol,
    types: ["Results", "Results", "Results", "Results", "Results", "Metadata"],
  });
  const refused = {
    status: 401,
    body: expect.objectContaining({ err_code: "INVALID_AUTH", err_msg: "Invalid credentials." }),
  };

  it("takes a granted token as Authorization: Bearer, more than once", async () => {
    const token = await grantDeepgramToken(60);
    expect(await listen({ headers: { authorization: `Bearer ${token}` } })).toEqual(accepted());
    expect(await listen({ headers: { authorization: `Bearer ${token}` } })).toEqual(accepted());
  });

  it("takes a granted token as a browser sends it, in the subprotocols, and agrees to bearer", async () => {
    const token = await grantDeepgramToken(60);
    expect(await listen({ protocols: ["bearer", token] })).toEqual(accepted("bearer"));
  });

  it("takes the account's API key in the Token scheme, as Deepgram does", async () => {
    expect(await listen({ headers: { authorization: `Token ${masterKey("deepgram")}` } })).toEqual(accepted());
  });

  it("refuses a granted token in the Token scheme, an API key as a Bearer, and no credentials", async () => {
    const token = await grantDeepgramToken(60);
    expect(await listen({ headers: { authorization: `Token ${token}` } })).toEqual(refused);
    expect(await listen({ protocols: ["token", token] })).toEqual(refused);
    expect(await listen({ headers: { authorization: `Bearer ${masterKey("deepgram")}` } })).toEqual(refused);
    expect(await listen()).toEqual(refused);
  });

  it("refuses a token it did not grant, and one that has expired", async () => {
    expect(await listen({ protocols: ["bearer", "eyJhbGciOiJIUzI1NiJ9.e30.NOTGRANTED"] })).toEqual(refused);
    const token = await grantDeepgramToken(1);
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    expect(await listen({ headers: { authorization: `Bearer ${token}` } })).toEqual(refused);
  });
});

describe("ElevenLabs sockets", () => {
  const wsBase = () => emulator.url.replace("http", "ws");
  const FIFTEEN_MINUTES_MS = 15 * 60 * 1000;

  async function issueElevenLabs(path: string, method = "POST"): Promise<Record<string, string>> {
    const response = await fetch(`${emulator.url}${path}`, {
      method,
      headers: { "xi-api-key": masterKey("elevenlabs") },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, string>;
  }

  /** Opens the socket, sends `first` on open (and the scribe's audio once its session starts), collects until close. */
  function elevenLabsSession(url: string, first?: string) {
    return new Promise<{ frames: Record<string, unknown>[]; code: number; reason: string }>((resolve, reject) => {
      const socket = new WebSocket(url);
      const frames: Record<string, unknown>[] = [];
      socket.on("open", () => first && socket.send(first));
      socket.on("message", (data) => {
        const frame = JSON.parse(String(data)) as Record<string, unknown>;
        frames.push(frame);
        if (frame.message_type === "session_started") {
          socket.send(JSON.stringify({ message_type: "input_audio_chunk", audio_base_64: "AAAA", commit: true }));
        }
      });
      socket.on("close", (code, reason) => resolve({ frames, code, reason: String(reason) }));
      socket.on("error", reject);
    });
  }

  const scribe = (token: string, query = "model_id=scribe_v2_realtime&") =>
    elevenLabsSession(`${wsBase()}/v1/speech-to-text/realtime?${query}token=${token}`);
  const tts = (token: string) =>
    elevenLabsSession(
      `${wsBase()}/v1/text-to-speech/any-voice/stream-input?single_use_token=${token}`,
      JSON.stringify({ text: " " }),
    );
  const talk = (signedUrl: string) =>
    elevenLabsSession(signedUrl, JSON.stringify({ type: "conversation_initiation_client_data" }));

  it("consumes a single-use token on its first connection", async () => {
    const { token } = await issueElevenLabs("/v1/single-use-token/realtime_scribe");
    const first = await scribe(token as string);
    expect(first.frames.at(-1)).toEqual({
      message_type: "committed_transcript",
      text: "Hello from the speech emulator.",
    });
    expect(await scribe(token as string)).toMatchObject({
      frames: [{ message_type: "auth_error", error: "Token has already been used" }],
      code: 1008,
    });
  });

  it("takes the TTS token as single_use_token only, and only a tts_websocket one", async () => {
    const { token: scribeToken } = await issueElevenLabs("/v1/single-use-token/realtime_scribe");
    const { token } = await issueElevenLabs("/v1/single-use-token/tts_websocket");
    expect((await tts(scribeToken as string)).frames).toEqual([{ error: "auth_error", message: "Invalid token" }]);
    const asToken = await elevenLabsSession(
      `${wsBase()}/v1/text-to-speech/any-voice/stream-input?token=${token}`,
      JSON.stringify({ text: " " }),
    );
    expect(asToken.frames).toEqual([{ error: "auth_error", message: "Invalid token" }]);
    expect((await tts(token as string)).frames.at(-1)).toEqual({ isFinal: true });
  });

  it("refuses the scribe socket without model_id, before looking at the token", async () => {
    const { token } = await issueElevenLabs("/v1/single-use-token/realtime_scribe");
    expect((await scribe(token as string, "")).frames).toEqual([
      { message_type: "invalid_request", error: "model_id is required" },
    ]);
    expect((await scribe(token as string)).code).toBe(1000);
  });

  it("expires tokens and signed URLs after 15 minutes", async () => {
    const { token: early } = await issueElevenLabs("/v1/single-use-token/realtime_scribe");
    const { token: late } = await issueElevenLabs("/v1/single-use-token/realtime_scribe");
    const { signed_url: signedUrl } = await issueElevenLabs(
      "/v1/convai/conversation/get-signed-url?agent_id=agent_1",
      "GET",
    );
    const issuedAt = Date.now();
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(issuedAt + FIFTEEN_MINUTES_MS - 5_000);
      expect((await scribe(early as string)).code).toBe(1000);
      expect((await talk(signedUrl as string)).code).toBe(1000);
      vi.setSystemTime(issuedAt + FIFTEEN_MINUTES_MS + 1_000);
      expect((await scribe(late as string)).frames).toEqual([
        { message_type: "auth_error", error: "Token has expired" },
      ]);
      expect(await talk(signedUrl as string)).toMatchObject({ code: 1008, reason: "Signed URL has expired" });
    } finally {
      vi.useRealTimers();
    }
  });

  it("lets a signed URL start several conversations with its own agent only", async () => {
    const { signed_url: signedUrl } = await issueElevenLabs(
      "/v1/convai/conversation/get-signed-url?agent_id=agent_1",
      "GET",
    );
    const first = await talk(signedUrl as string);
    expect(first.frames[0]).toMatchObject({ type: "conversation_initiation_metadata" });
    expect((await talk(signedUrl as string)).code).toBe(1000);
    const other = new URL(signedUrl as string);
    other.searchParams.set("agent_id", "agent_2");
    expect(await talk(other.toString())).toMatchObject({ code: 1008, reason: "Invalid conversation signature" });
  });
});
