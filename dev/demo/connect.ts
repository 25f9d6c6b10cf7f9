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
          start: JSON.stringify({ api_key: key, model: "stt-rt-preview", audio_format: "auto" }),
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
