/**
 * How an app uses a minted key at each vendor, against the emulator: the
 * speech WebSocket handshakes (Soniox, Speechmatics, AmiVoice) and an AceData
 * API call. Each resolves with what the vendor said: transcript text, or why
 * it refused the key.
 */
export interface UseResult {
  accepted: boolean;
  detail: string;
}

type OnText = (text: string) => void;

export async function connectWithKey(
  vendor: string,
  key: string,
  emulator: { http: string; ws: string },
  onText: OnText,
) {
  switch (vendor) {
    case "soniox":
      return socketSession(
        `${emulator.ws}/transcribe-websocket`,
        {
          start: JSON.stringify({ api_key: key, model: "stt-rt-v3", audio_format: "auto" }),
          read(message) {
            const data = JSON.parse(message) as { error_message?: string; tokens?: { text: string }[] };
            if (data.error_message) return { refused: data.error_message };
            return { text: (data.tokens ?? []).map((t) => t.text).join("") };
          },
        },
        onText,
      );
    case "speechmatics":
      return socketSession(
        `${emulator.ws}/v2?jwt=${encodeURIComponent(key)}`,
        {
          start: JSON.stringify({
            message: "StartRecognition",
            audio_format: { type: "raw", encoding: "pcm_s16le", sample_rate: 16000 },
            transcription_config: { language: "en" },
          }),
          read(message) {
            const data = JSON.parse(message) as { message: string; reason?: string; metadata?: { transcript: string } };
            if (data.message === "Error") return { refused: data.reason ?? "error" };
            return { text: data.message === "AddTranscript" ? (data.metadata?.transcript ?? "") : "" };
          },
        },
        onText,
      );
    case "amivoice":
      return socketSession(
        `${emulator.ws}/v1/`,
        {
          start: `s LSB16K -a-general authorization=${key}`,
          read(message) {
            if (message.startsWith("s ")) return { refused: message.slice(2) };
            if (message.startsWith("A "))
              return { text: `${(JSON.parse(message.slice(2)) as { text: string }).text} ` };
            return { text: "" };
          },
        },
        onText,
      );
    case "acedata": {
      const response = await fetch(`${emulator.http}/v1/chat/completions`, {
        method: "POST",
        headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
        body: JSON.stringify({ model: "demo", messages: [{ role: "user", content: "Say hello" }] }),
      });
      const body = (await response.json()) as {
        error?: { message: string };
        choices?: { message: { content: string } }[];
      };
      if (!response.ok) return { accepted: false, detail: body.error?.message ?? `status ${response.status}` };
      const text = body.choices?.[0]?.message.content ?? "";
      onText(text);
      return { accepted: true, detail: text };
    }
    case "assemblyai":
      // The token goes in the query; after Begin the app streams audio, reads Turns, and ends with Terminate.
      return new Promise<UseResult>((resolve) => {
        const socket = new WebSocket(`${emulator.ws}/v3/ws?sample_rate=16000&token=${encodeURIComponent(key)}`);
        let transcript = "";
        let refused: string | undefined;
        socket.onmessage = (event) => {
          const data = JSON.parse(String(event.data)) as {
            type: string;
            error?: string;
            transcript?: string;
            end_of_turn?: boolean;
          };
          // 100 ms of 16 kHz PCM16 silence stands in for the microphone.
          if (data.type === "Begin") socket.send(new ArrayBuffer(3200));
          if (data.type === "Error") refused = data.error ?? "error";
          if (data.type === "Turn") {
            transcript = data.transcript ?? "";
            onText(transcript);
            if (data.end_of_turn) socket.send(JSON.stringify({ type: "Terminate" }));
          }
        };
        socket.onerror = () => (refused ??= "connection failed");
        socket.onclose = () =>
          resolve(refused ? { accepted: false, detail: refused } : { accepted: true, detail: transcript.trim() });
      });
    case "openai": {
      // WebRTC: a real app posts its RTCPeerConnection's offer and applies the answer; this offer stands in for it.
      const offer = "v=0\r\no=- 0 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
      const response = await fetch(`${emulator.http}/v1/realtime/calls`, {
        method: "POST",
        headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/sdp" },
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
    case "deepgram":
      // A browser cannot set headers on a WebSocket, so the JWT travels as the subprotocols `bearer, <jwt>`, as
      // @deepgram/sdk's browser client sends it; Deepgram refuses a bad token in the handshake (HTTP 401).
      return new Promise<UseResult>((resolve) => {
        const url = `${emulator.ws}/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000`;
        const socket = new WebSocket(url, ["bearer", key]);
        let transcript = "";
        // 100 ms of 16 kHz PCM16 silence stands in for the microphone.
        socket.onopen = () => socket.send(new ArrayBuffer(3200));
        socket.onmessage = (event) => {
          const data = JSON.parse(String(event.data)) as {
            type: string;
            channel?: { alternatives: { transcript: string }[] };
          };
          if (data.type !== "Results") return;
          transcript += `${data.channel?.alternatives[0]?.transcript ?? ""} `;
          onText(transcript);
        };
        // Some clients report a refused handshake with an error and no close event.
        socket.onerror = () => resolve({ accepted: false, detail: "Deepgram refused the token at the handshake" });
        socket.onclose = () => resolve({ accepted: true, detail: transcript.trim() });
      });
    case "elevenlabs":
      // The demo mints the default kind, realtime_scribe: the single-use token goes in the query of the
      // real-time speech-to-text socket, and the app streams audio chunks, reading partial then committed text.
      return new Promise<UseResult>((resolve) => {
        const query = `model_id=scribe_v2_realtime&token=${encodeURIComponent(key)}`;
        const socket = new WebSocket(`${emulator.ws}/v1/speech-to-text/realtime?${query}`);
        let transcript = "";
        let refused: string | undefined;
        socket.onmessage = (event) => {
          const data = JSON.parse(String(event.data)) as { message_type: string; text?: string; error?: string };
          if (data.message_type === "session_started") {
            // 100 ms of 16 kHz PCM16 silence stands in for the microphone; commit asks for the final text.
            const silence = btoa(String.fromCharCode(...new Uint8Array(3200)));
            socket.send(
              JSON.stringify({
                message_type: "input_audio_chunk",
                audio_base_64: silence,
                commit: true,
                sample_rate: 16000,
              }),
            );
          } else if (data.message_type === "partial_transcript" || data.message_type === "committed_transcript") {
            transcript = data.text ?? "";
            onText(transcript);
          } else if (data.error) {
            refused = data.error;
          }
        };
        socket.onerror = () => (refused ??= "connection failed");
        socket.onclose = () =>
          resolve(refused ? { accepted: false, detail: refused } : { accepted: true, detail: transcript.trim() });
      });
    default:
      return { accepted: false, detail: `no demo connection for ${vendor}` };
  }
}

interface Protocol {
  start: string;
  read(message: string): { text?: string; refused?: string };
}

function socketSession(url: string, protocol: Protocol, onText: OnText): Promise<UseResult> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    let transcript = "";
    let refused: string | undefined;
    socket.onopen = () => socket.send(protocol.start);
    socket.onmessage = (event) => {
      const reading = protocol.read(String(event.data));
      if (reading.refused) refused = reading.refused;
      if (reading.text) {
        transcript += reading.text;
        onText(transcript);
      }
    };
    socket.onerror = () => (refused ??= "connection failed");
    socket.onclose = () =>
      resolve(refused ? { accepted: false, detail: refused } : { accepted: true, detail: transcript.trim() });
  });
}
