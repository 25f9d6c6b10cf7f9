import { type MintedKey, webSocketFor } from "../../src/client/index";

/**
 * How an app uses a minted key, against the emulator, from the key's `connect`
 * alone: its transport and endpoint, and where the key goes. What follows the
 * connection is each vendor's own protocol (its start message, its audio and
 * transcript messages), below. Each resolves with what the vendor said:
 * transcript text, or why it refused the key.
 */
export interface UseResult {
  accepted: boolean;
  detail: string;
}

type OnText = (text: string) => void;

/** 100 ms of 16 kHz PCM16 silence, standing in for the microphone. */
const SILENCE = () => new ArrayBuffer(3200);

/** A vendor's protocol once its socket is open; the credential's place comes from `connect`. */
interface SocketProtocol {
  /** The app's query parameters: the model, the audio format. */
  query?: Record<string, string>;
  /** Sent once the socket opens; `withKey` is `field=key` material when `connect` puts the key in the first message. */
  open?(withKey: { field: string; key: string } | undefined): string | ArrayBuffer;
  /** Reads one message: the transcript so far, a refusal, a reply to send, and whether the app is done and closes. */
  read(
    message: string,
    transcript: string,
  ): { transcript?: string; refused?: string; reply?: string | ArrayBuffer; done?: boolean };
  /**
   * For a credential `connect` hands to the vendor's SDK (`in: "sdk"`): the socket that SDK opens
   * from the endpoint and the key, which the demo stands in for, and the key's field in its first message.
   */
  sdk?(endpoint: string, key: string): { url: string; withKey?: { field: string; key: string } };
  /** Reads a binary message as the text `read` takes (AWS's event-stream messages); text messages need none. */
  decode?(data: ArrayBuffer): string;
  /** What a socket error means, when the vendor refuses at the handshake. */
  errorMeans?: string;
  /** A refusal told by the close alone (Gemini closes with 1008 and a reason); undefined for a normal end. */
  closedBecause?(code: number, reason: string): string | undefined;
}

const PROTOCOLS: Record<string, SocketProtocol> = {
  soniox: {
    open: (withKey) =>
      JSON.stringify({ [withKey?.field ?? "api_key"]: withKey?.key, model: "stt-rt-v3", audio_format: "auto" }),
    read(message, transcript) {
      const data = JSON.parse(message) as { error_message?: string; tokens?: { text: string }[] };
      if (data.error_message) return { refused: data.error_message };
      return { transcript: transcript + (data.tokens ?? []).map((t) => t.text).join("") };
    },
  },
  speechmatics: {
    open: () =>
      JSON.stringify({
        message: "StartRecognition",
        audio_format: { type: "raw", encoding: "pcm_s16le", sample_rate: 16000 },
        transcription_config: { language: "en" },
      }),
    read(message, transcript) {
      const data = JSON.parse(message) as { message: string; reason?: string; metadata?: { transcript: string } };
      if (data.message === "Error") return { refused: data.reason ?? "error" };
      return { transcript: transcript + (data.message === "AddTranscript" ? (data.metadata?.transcript ?? "") : "") };
    },
  },
  amivoice: {
    // The `s` command starts recognition; the key is its `authorization=` parameter.
    open: (withKey) => `s LSB16K -a-general ${withKey?.field ?? "authorization"}=${withKey?.key ?? ""}`,
    read(message, transcript) {
      if (message.startsWith("s ")) return { refused: message.slice(2) };
      if (!message.startsWith("A ")) return {};
      return { transcript: `${transcript}${(JSON.parse(message.slice(2)) as { text: string }).text} ` };
    },
  },
  assemblyai: {
    // After Begin the app streams audio, reads Turns, and ends with Terminate.
    query: { sample_rate: "16000" },
    read(message) {
      const data = JSON.parse(message) as { type: string; error?: string; transcript?: string; end_of_turn?: boolean };
      if (data.type === "Begin") return { reply: SILENCE() };
      if (data.type === "Error") return { refused: data.error ?? "error" };
      if (data.type !== "Turn") return {};
      return {
        transcript: data.transcript ?? "",
        ...(data.end_of_turn ? { reply: JSON.stringify({ type: "Terminate" }) } : {}),
      };
    },
  },
  deepgram: {
    // Deepgram refuses a bad token in the handshake (HTTP 401), which a browser reports as an error.
    query: { model: "nova-3", encoding: "linear16", sample_rate: "16000" },
    open: () => SILENCE(),
    read(message, transcript) {
      const data = JSON.parse(message) as { type: string; channel?: { alternatives: { transcript: string }[] } };
      if (data.type !== "Results") return {};
      return { transcript: `${transcript}${data.channel?.alternatives[0]?.transcript ?? ""} ` };
    },
    errorMeans: "Deepgram refused the token at the handshake",
  },
  elevenlabs: {
    // The realtime speech-to-text socket: the app streams audio chunks, reading partial then committed text.
    query: { model_id: "scribe_v2_realtime" },
    read(message) {
      const data = JSON.parse(message) as { message_type: string; text?: string; error?: string };
      if (data.message_type === "session_started") {
        // Commit asks for the final text.
        const silence = btoa(String.fromCharCode(...new Uint8Array(SILENCE())));
        const chunk = { message_type: "input_audio_chunk", audio_base_64: silence, commit: true, sample_rate: 16000 };
        return { reply: JSON.stringify(chunk) };
      }
      if (data.message_type === "partial_transcript" || data.message_type === "committed_transcript") {
        return { transcript: data.text ?? "" };
      }
      return data.error ? { refused: data.error } : {};
    },
  },
  azure: {
    // The Speech SDK's framing: header lines, a blank line, JSON. speech.config opens a turn; the app closes after it.
    query: { language: "en-US" },
    open: () => `Path: speech.config\r\nX-RequestId: ${crypto.randomUUID().replace(/-/g, "")}\r\n\r\n{}`,
    read(message, transcript) {
      const path = /^Path:\s*(\S+)/im.exec(message)?.[1];
      if (path === "turn.end") return { done: true };
      if (path !== "speech.phrase") return {};
      const phrase = JSON.parse(message.slice(message.indexOf("\r\n\r\n") + 4)) as { DisplayText?: string };
      return { transcript: `${transcript}${phrase.DisplayText ?? ""} ` };
    },
    errorMeans: "Azure refused the token at the handshake",
  },
  gemini: {
    // The Live API: the first message is the session's setup; once complete, the app streams audio
    // and reads the input transcription. A refused token closes the socket with 1008.
    open: () => JSON.stringify({ setup: { model: "models/gemini-live-2.5-flash-preview" } }),
    read(message, transcript) {
      const data = JSON.parse(message) as {
        setupComplete?: object;
        serverContent?: { inputTranscription?: { text: string } };
      };
      if (data.setupComplete) {
        const audio = btoa(String.fromCharCode(...new Uint8Array(SILENCE())));
        return {
          reply: JSON.stringify({ realtimeInput: { audio: { data: audio, mimeType: "audio/pcm;rate=16000" } } }),
        };
      }
      const text = data.serverContent?.inputTranscription?.text;
      return text ? { transcript: `${transcript}${text} ` } : {};
    },
    closedBecause: (code, reason) => (code === 1008 ? reason || "Gemini refused the token" : undefined),
  },
  xai: {
    // The Voice Agent refuses a bad secret at the handshake and greets an accepted one with
    // conversation.created; the app then appends audio and reads the input transcription.
    read(message, transcript) {
      const data = JSON.parse(message) as { type: string; transcript?: string; error?: { message?: string } };
      if (data.type === "error") return { refused: data.error?.message ?? "error" };
      if (data.type === "conversation.created") {
        const audio = btoa(String.fromCharCode(...new Uint8Array(SILENCE())));
        return { reply: JSON.stringify({ type: "input_audio_buffer.append", audio }) };
      }
      if (data.type !== "conversation.item.input_audio_transcription.completed") return {};
      return { transcript: `${transcript}${data.transcript ?? ""} ` };
    },
    errorMeans: "xAI refused the client secret at the handshake",
  },
  cartesia: {
    // Cartesia refuses a bad token at the handshake; once open, the app streams audio, then
    // `finalize` asks for the rest of the text and `done` ends the session.
    query: { model: "ink-whisper", encoding: "pcm_s16le", sample_rate: "16000" },
    open: () => SILENCE(),
    read(message, transcript) {
      const data = JSON.parse(message) as { type: string; text?: string; message?: string };
      if (data.type === "error") return { refused: data.message ?? "error" };
      if (data.type === "flush_done") return { reply: "done" };
      if (data.type !== "transcript") return {};
      return { transcript: `${transcript}${data.text ?? ""} `, ...(transcript === "" ? { reply: "finalize" } : {}) };
    },
    errorMeans: "Cartesia refused the token at the handshake",
  },
  mistral: {
    // Mistral checks the token and the model at the handshake (the model comes in connect's params);
    // once open it says session.created, the app appends audio, then ends it when the text is in.
    open: () =>
      JSON.stringify({ type: "input_audio.append", audio: btoa(String.fromCharCode(...new Uint8Array(SILENCE()))) }),
    read(message, transcript) {
      const data = JSON.parse(message) as { type: string; text?: string; error?: { message?: string } };
      if (data.type === "error") return { refused: data.error?.message ?? "error" };
      if (data.type === "transcription.done") return { done: true };
      if (data.type !== "transcription.text.delta") return {};
      const text = `${transcript}${data.text ?? ""}`;
      return { transcript: text, ...(transcript === "" ? { reply: JSON.stringify({ type: "input_audio.end" }) } : {}) };
    },
    errorMeans: "Mistral refused the token at the handshake",
  },
  gladia: {
    // The session's URL carries the token and the audio settings it was minted with; once open,
    // the app streams audio, then `stop_recording` ends the session when the text is in.
    open: () => SILENCE(),
    read(message, transcript) {
      const data = JSON.parse(message) as { type: string; data?: { utterance?: { text?: string } } };
      if (data.type !== "transcript") return {};
      const text = `${transcript}${data.data?.utterance?.text ?? ""} `;
      return { transcript: text, ...(transcript === "" ? { reply: JSON.stringify({ type: "stop_recording" }) } : {}) };
    },
    errorMeans: "Gladia refused the session's token at the handshake",
  },
  "twilio-voice": {
    // The Voice SDK's Device opens `endpoint` and sends the token in its `listen`;
    // Twilio answers `connected` or an access-token error.
    sdk: (endpoint, key) => ({ url: endpoint, withKey: { field: "token", key } }),
    open: (withKey) =>
      JSON.stringify({ type: "listen", version: "1.6", payload: { token: withKey?.key, browserinfo: {} } }),
    read(message) {
      const data = JSON.parse(message) as {
        type: string;
        payload: { error?: { code: number; message: string }; token?: { identity: string }; incoming?: boolean };
      };
      const { error, token, incoming } = data.payload;
      if (error) return { refused: `${error.code} ${error.message}` };
      if (data.type !== "connected") return {};
      const calls = incoming ? "place and receive calls" : "place calls";
      return { transcript: `The emulator's Twilio signaling took the token of ${token?.identity}, who may ${calls}` };
    },
  },
  "aws-transcribe": {
    // The presigned URL carries the stream's settings. A real app wraps its audio in event-stream
    // AudioEvents (@aws-sdk/eventstream-codec); the emulator takes any binary message as audio.
    open: () => SILENCE(),
    decode: eventStreamPayload,
    read(message, transcript) {
      const data = JSON.parse(message) as {
        Message?: string;
        Transcript?: { Results?: { IsPartial: boolean; Alternatives: { Transcript: string }[] }[] };
      };
      if (data.Message) return { refused: data.Message };
      const finals = (data.Transcript?.Results ?? []).filter((result) => !result.IsPartial);
      return {
        transcript: transcript + finals.map((result) => `${result.Alternatives[0]?.Transcript ?? ""} `).join(""),
      };
    },
    errorMeans: "AWS refused the presigned URL at the handshake",
  },
  livekit: {
    // The client SDK's `room.connect(endpoint, key)` opens the signal WebSocket under the server URL
    // with the token as `access_token`; media would follow over WebRTC.
    sdk(endpoint, key) {
      const url = new URL(`${endpoint}${LIVEKIT_SIGNAL_PATH}`);
      url.searchParams.set("access_token", key);
      return { url: url.toString() };
    },
    // The server's first message is its join response: the room and the participant the token named.
    read(message) {
      const data = JSON.parse(message) as { join?: { room: { name: string }; participant: { identity: string } } };
      if (!data.join) return {};
      const { room, participant } = data.join;
      return {
        transcript: `The emulator's LiveKit server let ${participant.identity} join room ${room.name}`,
        done: true,
      };
    },
    errorMeans: "LiveKit refused the token at the handshake",
  },
};

/** LiveKit's signal path under the server URL, which its client SDK opens with the token as `access_token`. */
const LIVEKIT_SIGNAL_PATH = "/rtc/v1";

/** The payload of one event-stream message: after the 12-byte prelude and the headers, before the 4-byte CRC. */
function eventStreamPayload(data: ArrayBuffer): string {
  const view = new DataView(data);
  const total = view.getUint32(0);
  const headersLength = view.getUint32(4);
  return new TextDecoder().decode(new Uint8Array(data, 12 + headersLength, total - 16 - headersLength));
}

/** Uses the key as its `connect` says. `apiUrl` is the HTTP API an app calls with a key that has no one endpoint. */
export async function connectWithKey(minted: MintedKey, apiUrl: string, onText: OnText): Promise<UseResult> {
  const { connect } = minted;
  if (connect === undefined) return { accepted: false, detail: "the broker's answer has no connect" };
  const { credential } = connect;
  if (credential.in === "header") {
    const authorization = { [credential.name]: `${credential.scheme ? `${credential.scheme} ` : ""}${minted.key}` };
    return connect.transport === "webrtc"
      ? webrtcCall(connect.endpoint ?? "", authorization, onText)
      : apiCall(connect.endpoint ?? `${apiUrl}/v1/chat/completions`, authorization, onText);
  }
  const protocol = PROTOCOLS[minted.vendor];
  if (protocol === undefined) return { accepted: false, detail: `no demo protocol for ${minted.vendor}` };
  if (credential.in === "message") {
    const withKey = { field: credential.field, key: minted.key };
    return socketSession(connect.endpoint ?? "", [], protocol, onText, withKey);
  }
  if (credential.in === "sdk") {
    if (protocol.sdk === undefined) return { accepted: false, detail: `no SDK stand-in for ${minted.vendor}` };
    const { url, withKey } = protocol.sdk(connect.endpoint ?? "", minted.key);
    return socketSession(url, [], protocol, onText, withKey);
  }
  const { url, protocols } = webSocketFor(minted, { query: protocol.query ?? {} });
  return socketSession(url, protocols, protocol, onText);
}

function socketSession(
  url: string,
  protocols: string[],
  protocol: SocketProtocol,
  onText: OnText,
  withKey?: { field: string; key: string },
): Promise<UseResult> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, protocols);
    if (protocol.decode) socket.binaryType = "arraybuffer";
    let transcript = "";
    let refused: string | undefined;
    socket.onopen = () => {
      if (protocol.open) socket.send(protocol.open(withKey));
    };
    socket.onmessage = (event) => {
      const data: unknown = event.data;
      const text = data instanceof ArrayBuffer && protocol.decode ? protocol.decode(data) : String(data);
      const reading = protocol.read(text, transcript);
      if (reading.refused) refused = reading.refused;
      if (reading.transcript !== undefined && reading.transcript !== transcript) {
        transcript = reading.transcript;
        onText(transcript);
      }
      if (reading.reply !== undefined) socket.send(reading.reply);
      if (reading.done) socket.close(1000);
    };
    // Some clients report a refused handshake with an error and no close event.
    socket.onerror = () => resolve({ accepted: false, detail: refused ?? protocol.errorMeans ?? "connection failed" });
    socket.onclose = (event) => {
      const why = refused ?? protocol.closedBecause?.(event.code, event.reason);
      resolve(why ? { accepted: false, detail: why } : { accepted: true, detail: transcript.trim() });
    };
  });
}

/** WebRTC: a real app posts its RTCPeerConnection's offer and applies the answer; this offer stands in for it. */
async function webrtcCall(endpoint: string, authorization: Record<string, string>, onText: OnText) {
  const offer = "v=0\r\no=- 0 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { ...authorization, "Content-Type": "application/sdp" },
    body: offer,
  });
  if (response.status !== 201) {
    const body = (await response.json()) as { error?: { message?: string } };
    return { accepted: false, detail: body.error?.message ?? `status ${response.status}` };
  }
  const call = response.headers.get("location")?.split("/").pop() ?? "call";
  const text = `The emulator answered call ${call} with an SDP answer of ${(await response.text()).split("\r\n").length} lines`;
  onText(text);
  return { accepted: true, detail: text };
}

/** An HTTP API call with the key (AceData's OpenAI-style chat completions). */
async function apiCall(url: string, authorization: Record<string, string>, onText: OnText) {
  const response = await fetch(url, {
    method: "POST",
    headers: { ...authorization, "Content-Type": "application/json" },
    body: JSON.stringify({ model: "demo", messages: [{ role: "user", content: "Say hello" }] }),
  });
  const body = (await response.json()) as { error?: { message: string }; choices?: { message: { content: string } }[] };
  if (!response.ok) return { accepted: false, detail: body.error?.message ?? `status ${response.status}` };
  const text = body.choices?.[0]?.message.content ?? "";
  onText(text);
  return { accepted: true, detail: text };
}
