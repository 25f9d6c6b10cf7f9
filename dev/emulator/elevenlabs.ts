import type { WebSocket } from "ws";
import type { KeyRefusal } from "./keys";
import {
  type EmulatorReply,
  FAKE_TRANSCRIPT,
  type IncomingHeaders,
  json,
  type KeyUseEndpoint,
  parseJsonMessage,
  randomToken,
  streamTranscript,
  type VendorEmulator,
} from "./types";

/**
 * ElevenLabs, per its API reference and @elevenlabs/elevenlabs-js:
 *
 *   POST /v1/single-use-token/{token_type}         realtime_scribe | batch_scribe | tts_websocket;
 *                                                  no body; answers {"token"}: single use, 15 minutes
 *   GET  /v1/convai/conversation/get-signed-url    ?agent_id= (required); answers {"signed_url"}, a
 *                                                  WebSocket URL whose conversation_signature opens
 *                                                  conversations with that agent for 15 minutes
 *
 * Both take the account's key in `xi-api-key` (no scheme). Errors are FastAPI's:
 * `{"detail": {"status", "message"}}`, and `{"detail": [{"type", "loc", "msg", "input"}]}` for 422.
 */
const MASTER_KEY = "elevenlabs-master-key-for-tests";
const TOKEN_TYPES = ["realtime_scribe", "batch_scribe", "tts_websocket"];
/** Single-use tokens and signed URLs both live 15 minutes. */
const LIFETIME_MS = 15 * 60 * 1000;

/** The `detail.status` ElevenLabs sends with each error status. */
const ERROR_STATUS: Record<number, string> = {
  400: "invalid_request",
  401: "invalid_api_key",
  403: "forbidden",
  404: "not_found",
  429: "too_many_concurrent_requests",
  500: "internal_server_error",
};

function errorReply(status: number, message: string): EmulatorReply {
  if (status === 422) return validationError([{ type: "value_error", loc: ["body"], msg: message, input: null }]);
  return json(status, { detail: { status: ERROR_STATUS[status] ?? "error", message } });
}

function validationError(detail: { type: string; loc: string[]; msg: string; input: unknown }[]): EmulatorReply {
  return json(422, { detail });
}

/** The key check both issuance endpoints make first. */
function refuseMasterKey(headers: IncomingHeaders): EmulatorReply | undefined {
  const key = headers["xi-api-key"];
  if (key === undefined) {
    return json(401, {
      detail: {
        status: "needs_authorization",
        message: "Neither authorization header nor xi-api-key received, please provide one.",
      },
    });
  }
  if (key !== MASTER_KEY) return json(401, { detail: { status: "invalid_api_key", message: "Invalid API key" } });
  return undefined;
}

/** The registry's vendor name for a key, which binds it to its kind (and an agent's signature to its agent). */
export const elevenlabsKeyKind = {
  token: (tokenType: string) => `elevenlabs/${tokenType}`,
  agent: (agentId: string) => `elevenlabs/agent/${agentId}`,
};

const REFUSALS: Record<KeyRefusal, string> = {
  unknown: "Invalid token",
  expired: "Token has expired",
  already_used: "Token has already been used",
  ip_not_allowed: "Invalid token",
  service_auth_invalid: "Invalid token",
};

/** Speech to text in real time, `?model_id=…&token=…`: `session_started`, transcripts, or an `auth_error`. */
function openScribe(socket: WebSocket, { query, remoteIp, keys }: SocketContext) {
  if (!query.get("model_id")) {
    socket.send(JSON.stringify({ message_type: "invalid_request", error: "model_id is required" }));
    return socket.close(1008, "invalid_request");
  }
  const refusal = keys.use(elevenlabsKeyKind.token("realtime_scribe"), query.get("token") ?? "", remoteIp);
  if (refusal) {
    socket.send(JSON.stringify({ message_type: "auth_error", error: REFUSALS[refusal] }));
    return socket.close(1008, "auth_error");
  }
  const sessionId = randomToken(20).toLowerCase();
  socket.send(JSON.stringify({ message_type: "session_started", session_id: sessionId }));
  socket.once("message", (data) => {
    if (parseJsonMessage(data).message_type !== "input_audio_chunk") {
      socket.send(JSON.stringify({ message_type: "input_error", error: "expected input_audio_chunk" }));
      return socket.close(1008, "input_error");
    }
    streamTranscript(
      socket,
      (_word, index) =>
        JSON.stringify({ message_type: "partial_transcript", text: FAKE_TRANSCRIPT.slice(0, index + 1).join(" ") }),
      () => {
        socket.send(JSON.stringify({ message_type: "committed_transcript", text: FAKE_TRANSCRIPT.join(" ") }));
        socket.close(1000);
      },
    );
  });
}

/** Text to speech, `?single_use_token=…`: after the first (initialising) text message, audio with its alignment. */
function openTextToSpeech(socket: WebSocket, { query, remoteIp, keys }: SocketContext) {
  const refusal = keys.use(elevenlabsKeyKind.token("tts_websocket"), query.get("single_use_token") ?? "", remoteIp);
  if (refusal) {
    socket.send(JSON.stringify({ error: "auth_error", message: REFUSALS[refusal] }));
    return socket.close(1008, "auth_error");
  }
  socket.once("message", (data) => {
    if (typeof parseJsonMessage(data).text !== "string") {
      socket.send(JSON.stringify({ error: "input_error", message: "the first message must carry text" }));
      return socket.close(1008, "input_error");
    }
    streamTranscript(
      socket,
      (word) => {
        const chars = [...`${word} `];
        return JSON.stringify({
          audio: Buffer.from(`fake audio for ${word}`).toString("base64"),
          isFinal: null,
          alignment: { chars, charStartTimesMs: chars.map((_, i) => i * 50), charDurationsMs: chars.map(() => 50) },
        });
      },
      () => {
        socket.send(JSON.stringify({ isFinal: true }));
        socket.close(1000);
      },
    );
  });
}

/**
 * An agent conversation at the signed URL, `?agent_id=…&conversation_signature=…`: the signature
 * must be one issued for that agent within 15 minutes (it may start several conversations). The
 * client opens with `conversation_initiation_client_data`; the agent answers metadata, then speaks.
 */
function openConversation(socket: WebSocket, { query, remoteIp, keys }: SocketContext) {
  const signature = query.get("conversation_signature");
  if (!signature) return socket.close(1008, "This agent requires authentication: connect with a signed URL");
  const refusal = keys.use(elevenlabsKeyKind.agent(query.get("agent_id") ?? ""), signature, remoteIp);
  if (refusal) {
    return socket.close(1008, refusal === "expired" ? "Signed URL has expired" : "Invalid conversation signature");
  }
  socket.once("message", (data) => {
    if (parseJsonMessage(data).type !== "conversation_initiation_client_data") {
      return socket.close(1008, "expected conversation_initiation_client_data");
    }
    socket.send(
      JSON.stringify({
        type: "conversation_initiation_metadata",
        conversation_initiation_metadata_event: {
          conversation_id: `conv_${randomToken(24).toLowerCase()}`,
          agent_output_audio_format: "pcm_16000",
          user_input_audio_format: "pcm_16000",
        },
      }),
    );
    streamTranscript(
      socket,
      (word) => JSON.stringify({ type: "agent_response", agent_response_event: { agent_response: word } }),
      () => socket.close(1000),
    );
  });
}

type SocketContext = Parameters<Extract<KeyUseEndpoint, { kind: "websocket" }>["open"]>[1];

/** `POST /v1/single-use-token/{token_type}`, and the sockets its tokens open. */
const singleUseTokens: VendorEmulator = {
  vendor: "elevenlabs",
  method: "POST",
  path: "/v1/single-use-token/{token_type}",
  masterKey: MASTER_KEY,
  errorReply,
  malformedReply: json(200, { expires_in: 900 }),

  handle({ path, headers, keys }) {
    const refused = refuseMasterKey(headers);
    if (refused) return refused;
    const tokenType = path.slice(path.lastIndexOf("/") + 1);
    if (!TOKEN_TYPES.includes(tokenType)) {
      return validationError([
        {
          type: "enum",
          loc: ["path", "token_type"],
          msg: "Input should be 'realtime_scribe', 'batch_scribe' or 'tts_websocket'",
          input: tokenType,
        },
      ]);
    }
    const token = `sutkn_${randomToken(40).toLowerCase()}`;
    keys.issue(token, {
      vendor: elevenlabsKeyKind.token(tokenType),
      expiresAt: Date.now() + LIFETIME_MS,
      singleUse: true,
      allowedIps: [],
      serviceAuthValid: true,
    });
    return json(200, { token });
  },

  keyUse: [
    { kind: "websocket", path: "/v1/speech-to-text/realtime", open: openScribe },
    { kind: "websocket", path: "/v1/text-to-speech/{voice_id}/stream-input", open: openTextToSpeech },
  ],
};

/** `GET /v1/convai/conversation/get-signed-url`, and the conversation socket its URLs open. */
const agentSignedUrls: VendorEmulator = {
  vendor: "elevenlabs",
  method: "GET",
  path: "/v1/convai/conversation/get-signed-url",
  masterKey: MASTER_KEY,
  errorReply,
  // A URL with no signature in it: nothing a client could connect with.
  malformedReply: json(200, { agent_id: "agent_1" }),

  handle({ query, headers, keys }) {
    const refused = refuseMasterKey(headers);
    if (refused) return refused;
    const agentId = query.get("agent_id");
    if (!agentId) {
      return validationError([{ type: "missing", loc: ["query", "agent_id"], msg: "Field required", input: null }]);
    }
    const signature = `cvtkn_${randomToken(40).toLowerCase()}`;
    keys.issue(signature, {
      vendor: elevenlabsKeyKind.agent(agentId),
      expiresAt: Date.now() + LIFETIME_MS,
      singleUse: false,
      allowedIps: [],
      serviceAuthValid: true,
    });
    // The real service answers wss://api.elevenlabs.io/…; the emulator's own socket is plain ws on its host.
    const url = new URL(`ws://${headers.host ?? "127.0.0.1"}/v1/convai/conversation`);
    url.searchParams.set("agent_id", agentId);
    url.searchParams.set("conversation_signature", signature);
    return json(200, { signed_url: url.toString() });
  },

  keyUse: { kind: "websocket", path: "/v1/convai/conversation", open: openConversation },
};

export const elevenlabs: VendorEmulator[] = [singleUseTokens, agentSignedUrls];
