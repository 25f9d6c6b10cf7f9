import { encodeCursor, filterHash } from "../audit/cursor";
import type { AuditRecord } from "../audit/record";
import { userIndexKey } from "../audit/store";
import type { ErrorCode } from "../errors";
import { issuanceIdSource } from "../ids";
import type { VendorId } from "../vendors/registry";

/**
 * Examples for the document: one timeline (a user, alice, minting on
 * 2 March 2026), with issuance ids made by the broker's own id source so that
 * their time part is the example's time. A test validates every example
 * against the schema it illustrates.
 */

const AT_MS = Date.parse("2026-03-02T14:57:52.250Z");
const REQUEST_ID = "6f1d2c3b-4a59-4e8f-9b7a-0c1d2e3f4a5b";

/** A deterministic id source: the random part is fixed, so the document is the same on every build. */
const nextId = issuanceIdSource((count) => Uint8Array.from({ length: count }, (_, i) => (i * 11 + 5) % 32));
const at = (offsetMs: number) => new Date(AT_MS + offsetMs);
const iso = (date: Date) => date.toISOString();
const later = (seconds: number) => iso(at(seconds * 1000));

export const EXAMPLE_ISSUANCE_ID = nextId(at(0));
export const EXAMPLE_REQUEST_ID = REQUEST_ID;
export const EXAMPLE_CLIENT_REF = "alice";

interface MintExample {
  summary: string;
  request: Record<string, unknown>;
  response: Record<string, unknown>;
}

/** Where a key goes at each vendor's own hosts, as the adapters' `connect` says (src/vendors/<vendor>.ts). */
const BEARER = { in: "header", name: "Authorization", scheme: "Bearer" } as const;
export const EXAMPLE_CONNECT = {
  soniox: {
    transport: "websocket",
    endpoint: "wss://stt-rt.soniox.com/transcribe-websocket",
    credential: { in: "message", field: "api_key" },
  },
  speechmaticsRt: {
    transport: "websocket",
    endpoint: "wss://global.rt.speechmatics.com/v2",
    credential: { in: "query", name: "jwt" },
  },
  speechmaticsBatch: { transport: "http", endpoint: null, credential: BEARER },
  amivoice: {
    transport: "websocket",
    endpoint: "wss://acp-api.amivoice.com/v1/",
    credential: { in: "message", field: "authorization" },
  },
  acedata: { transport: "http", endpoint: null, credential: BEARER },
  deepgram: {
    transport: "websocket",
    endpoint: "wss://api.deepgram.com/v1/listen",
    credential: { in: "subprotocols", protocols: ["bearer", "{key}"] },
  },
  openai: { transport: "webrtc", endpoint: "https://api.openai.com/v1/realtime/calls", credential: BEARER },
  xai: {
    transport: "websocket",
    endpoint: "wss://api.x.ai/v1/realtime",
    credential: { in: "subprotocols", protocols: ["xai-client-secret.{key}"] },
  },
  azure: {
    transport: "websocket",
    endpoint: "wss://westeurope.stt.speech.microsoft.com/speech/recognition/conversation/cognitiveservices/v1",
    credential: { in: "query", name: "Authorization", scheme: "Bearer" },
  },
  assemblyai: {
    transport: "websocket",
    endpoint: "wss://streaming.assemblyai.com/v3/ws",
    credential: { in: "query", name: "token" },
  },
  gemini: {
    transport: "websocket",
    endpoint:
      "wss://generativelanguage.googleapis.com/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained",
    credential: { in: "query", name: "access_token" },
  },
  elevenlabsScribe: {
    transport: "websocket",
    endpoint: "wss://api.elevenlabs.io/v1/speech-to-text/realtime",
    credential: { in: "query", name: "token" },
  },
  elevenlabsAgent: { transport: "websocket", endpoint: null, credential: { in: "url" } },
  gladia: { transport: "websocket", endpoint: null, credential: { in: "url" } },
  awsTranscribe: { transport: "websocket", endpoint: null, credential: { in: "url" } },
  livekit: { transport: "webrtc", endpoint: "wss://my-project.livekit.cloud", credential: { in: "sdk" } },
  twilioVoice: { transport: "webrtc", endpoint: "wss://voice-js.roaming.twilio.com/signal", credential: { in: "sdk" } },
  mistral: {
    transport: "websocket",
    endpoint: "wss://api.mistral.ai/v1/audio/transcriptions/realtime",
    credential: { in: "subprotocols", protocols: ["realtime", "{key}"] },
    params: { model: "voxtral-mini-transcribe-realtime-2602" },
  },
  cartesia: {
    transport: "websocket",
    endpoint: "wss://api.cartesia.ai/stt/websocket",
    credential: { in: "query", name: "access_token" },
    params: { cartesia_version: "2026-08-14" },
  },
} as const;

function minted(
  vendor: VendorId,
  key: string,
  ttlSeconds: number,
  applied: Record<string, unknown>,
  connect: (typeof EXAMPLE_CONNECT)[keyof typeof EXAMPLE_CONNECT],
) {
  return {
    ...applied,
    vendor,
    key,
    expires_at: later(ttlSeconds),
    ttl_seconds: ttlSeconds,
    client_ref: EXAMPLE_CLIENT_REF,
    issuance_id: EXAMPLE_ISSUANCE_ID,
    connect,
  };
}

const AGENT_ID = "agent_7401k2x9c3m5fq8a";
const AWS_SESSION_ID = "3f1c9a52-7d4e-4b8a-9e26-5a0c8d1b7f43";
const AWS_SIGNATURE = "1e69b75bf10db9722246eaea1527b4ef13661d541000ce587948ecc8ee9c8d3d";
const SIGNATURE = "cvtkn_01k2x9d4w8r6yq3h5n7p";
const GLADIA_TOKEN = "4a39145c-2844-4557-8f34-34883f7be7d9";

/** Per vendor, named request bodies and the answers they get. */
export const MINT_EXAMPLES: Record<VendorId, Record<string, MintExample>> = {
  soniox: {
    single_use: {
      summary: "A single-use key for two minutes",
      request: { ttl_seconds: 120, single_use: true },
      response: minted(
        "soniox",
        "temp:WYJ67RBEFUWQXXPKYPD2UGXKWB",
        120,
        {
          usage_type: "transcribe_websocket",
          single_use: true,
        },
        EXAMPLE_CONNECT.soniox,
      ),
    },
    defaults: {
      summary: "Soniox's defaults: a multi-use transcription key for 300 seconds",
      request: {},
      response: minted(
        "soniox",
        "temp:Q3V8N2KD7XRM4TJ6WHPB9CFY5G",
        300,
        { usage_type: "transcribe_websocket" },
        EXAMPLE_CONNECT.soniox,
      ),
    },
  },
  speechmatics: {
    batch: {
      summary: "A batch key in the EU region for ten minutes",
      request: { type: "batch", region: "eu", ttl_seconds: 600 },
      response: minted(
        "speechmatics",
        "Xk8vQ2mRt5Lw9ZpB4nHc7Jd3Fg6Ys1Ae",
        600,
        { type: "batch", region: "eu" },
        EXAMPLE_CONNECT.speechmaticsBatch,
      ),
    },
    realtime: {
      summary: "A real-time key with the defaults",
      request: {},
      response: minted(
        "speechmatics",
        "Rm4Tn8Wq2Zx6Cv9Bk3Hy7Jd5Lp1Fs0Ge",
        300,
        { type: "rt" },
        EXAMPLE_CONNECT.speechmaticsRt,
      ),
    },
  },
  amivoice: {
    bound: {
      summary: "A key bound to the caller's IPv4 address",
      request: { ttl_seconds: 600 },
      response: minted(
        "amivoice",
        "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6",
        600,
        { bind_ip: true, ip_bound: true },
        EXAMPLE_CONNECT.amivoice,
      ),
    },
  },
  acedata: {
    capped: {
      summary: "A credential for an hour, capped at 5",
      request: { ttl_seconds: 3600, limited_amount: 5 },
      response: minted(
        "acedata",
        "sk-7c1e9a4b2d8f4e6a9b3c5d7e1f2a4b6c",
        3600,
        { limited_amount: 5 },
        EXAMPLE_CONNECT.acedata,
      ),
    },
  },
  deepgram: {
    token: {
      summary: "A temporary token for a minute",
      request: { ttl_seconds: 60 },
      response: minted(
        "deepgram",
        "eyJhbGciOiJIUzI1NiJ9.eyJ0dGwiOjYwfQ.4q1bVt8uQm3cXo2kR7sH9wJ5nA6yL0pZ",
        60,
        {},
        EXAMPLE_CONNECT.deepgram,
      ),
    },
  },
  azure: {
    token: {
      summary: "An authorization token, which Azure fixes at ten minutes, with the region the Speech SDK needs",
      request: {},
      response: minted(
        "azure",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyZWdpb24iOiJ3ZXN0ZXVyb3BlIn0.3kQ8vN1xR5mT7wY2pL9cB4hJ6sD0fG",
        600,
        { region: "westeurope" },
        EXAMPLE_CONNECT.azure,
      ),
    },
  },
  xai: {
    voice_agent: {
      summary: "A Voice Agent client secret for five minutes",
      request: { ttl_seconds: 300 },
      response: minted("xai", "xai-cs-7Hq2Lm9Rt4Vx8Bn3Kd6Wz1Pf5Js0Ge", 300, {}, EXAMPLE_CONNECT.xai),
    },
  },
  openai: {
    realtime: {
      summary: "A Realtime client secret for a model",
      request: { session_type: "realtime", model: "gpt-realtime" },
      response: minted(
        "openai",
        "ek_68b0e1f2a3c4d5e6f7a8b9c0d1e2f3a4",
        600,
        {
          session_type: "realtime",
          model: "gpt-realtime",
        },
        EXAMPLE_CONNECT.openai,
      ),
    },
  },
  assemblyai: {
    session_cap: {
      summary: "A streaming token whose session may last ten minutes",
      request: { max_session_duration_seconds: 600 },
      response: minted(
        "assemblyai",
        "8f2d6b1a9c4e7f3a5b0d2c8e6f1a4b7d9c3e5f2a",
        60,
        {
          max_session_duration_seconds: 600,
          single_use: true,
        },
        EXAMPLE_CONNECT.assemblyai,
      ),
    },
  },
  gemini: {
    live_model: {
      summary: "A token for three Live sessions with one model",
      request: { uses: 3, model: "gemini-live-2.5-flash-preview" },
      response: minted(
        "gemini",
        "auth_tokens/2f8c1e9a7b3d4c6e5a0f1b2d3c4e5f6a7b8c9d0e",
        1800,
        {
          new_session_seconds: 60,
          uses: 3,
          model: "gemini-live-2.5-flash-preview",
        },
        EXAMPLE_CONNECT.gemini,
      ),
    },
  },
  elevenlabs: {
    scribe: {
      summary: "A single-use token for the realtime Scribe WebSocket",
      request: {},
      response: minted(
        "elevenlabs",
        "sutkn_01k2x9b7m4q8r2t6v5w3y9z1a0",
        900,
        {
          kind: "realtime_scribe",
          single_use: true,
        },
        EXAMPLE_CONNECT.elevenlabsScribe,
      ),
    },
    agent: {
      summary: "A signed URL for one agent",
      request: { kind: "agent", agent_id: AGENT_ID },
      response: minted(
        "elevenlabs",
        SIGNATURE,
        900,
        {
          kind: "agent",
          agent_id: AGENT_ID,
          url: `wss://api.elevenlabs.io/v1/convai/conversation?agent_id=${AGENT_ID}&conversation_signature=${SIGNATURE}`,
        },
        EXAMPLE_CONNECT.elevenlabsAgent,
      ),
    },
  },
  gladia: {
    session: {
      summary: "A live session for 16 kHz mono PCM in English",
      request: { languages: "en" },
      response: minted(
        "gladia",
        GLADIA_TOKEN,
        300,
        {
          encoding: "wav/pcm",
          bit_depth: 16,
          sample_rate: 16000,
          channels: 1,
          model: "solaria-1",
          languages: "en",
          session_id: "45463597-20b7-4af7-b3b3-f5fb778203ab",
          single_use: true,
          url: `wss://api.gladia.io/v2/live?token=${GLADIA_TOKEN}`,
        },
        EXAMPLE_CONNECT.gladia,
      ),
    },
  },
  "aws-transcribe": {
    english: {
      summary: "A presigned URL for one minute, for a stream of 16 kHz PCM in US English",
      request: { language_code: "en-US", ttl_seconds: 60 },
      response: minted(
        "aws-transcribe",
        AWS_SIGNATURE,
        60,
        {
          language_code: "en-US",
          identify_language: false,
          media_encoding: "pcm",
          sample_rate: 16000,
          session_id: AWS_SESSION_ID,
          single_use: true,
          // Signed with the AWS documentation's example key at the example time.
          url:
            "wss://transcribestreaming.us-east-1.amazonaws.com:8443/stream-transcription-websocket?language-code=en-US" +
            `&media-encoding=pcm&sample-rate=16000&session-id=${AWS_SESSION_ID}&X-Amz-Expires=60&X-Amz-Date=20260302T145752Z` +
            "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260302%2Fus-east-1%2Ftranscribe%2Faws4_request" +
            `&X-Amz-SignedHeaders=host&X-Amz-Signature=${AWS_SIGNATURE}`,
        },
        EXAMPLE_CONNECT.awsTranscribe,
      ),
    },
  },
  livekit: {
    room: {
      summary: "A token that joins one room and may listen but not publish",
      request: { room: "support-4711", can_publish: false, name: "Alice" },
      response: minted(
        "livekit",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ2aWRlbyI6eyJyb29tIjoic3VwcG9ydC00NzExIn19.c2lnbmF0dXJl",
        600,
        { room: "support-4711", can_publish: false, can_subscribe: true, can_publish_data: true, name: "Alice" },
        EXAMPLE_CONNECT.livekit,
      ),
    },
  },
  "twilio-voice": {
    incoming: {
      summary: "A Voice SDK token that places calls through the TwiML app and receives calls",
      request: { incoming: true },
      response: minted(
        "twilio-voice",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImN0eSI6InR3aWxpby1mcGE7dj0xIn0.eyJncmFudHMiOnsiaWRlbnRpdHkiOiJhbGljZSJ9fQ.c2lnbmF0dXJl",
        600,
        { incoming: true },
        EXAMPLE_CONNECT.twilioVoice,
      ),
    },
  },
  mistral: {
    realtime: {
      summary: "A token for Mistral's realtime transcription WebSocket",
      request: {},
      response: minted(
        "mistral",
        "rt_9Kx2mQ7vT4bN8pL3wR6yZ1cF5hJ0dS",
        300,
        { model: "voxtral-mini-transcribe-realtime-2602" },
        EXAMPLE_CONNECT.mistral,
      ),
    },
  },
  cartesia: {
    stt: {
      summary: "An access token for Cartesia's speech-to-text WebSocket",
      request: {},
      response: minted(
        "cartesia",
        "sk_car_at_4f8b2d9e1c7a3f6b5d0e8c2a",
        600,
        { grants: ["stt"] },
        EXAMPLE_CONNECT.cartesia,
      ),
    },
  },
};

/** One message per error code, as the broker words it (or close). */
export const ERROR_MESSAGES: Record<ErrorCode, string> = {
  invalid_request: "invalid soniox request: ttl_seconds must be an integer from 1 to 3600 for soniox",
  unauthenticated: "token has expired",
  forbidden: "this origin is not allowed to call the broker",
  not_found: "no audit record with that issuance_id",
  unknown_vendor: "no such vendor; GET /v1/vendors lists the configured ones",
  vendor_not_configured: 'vendor "soniox" is not configured on this broker',
  method_not_allowed: "PUT is not allowed here; use POST",
  payload_too_large: "request body must be at most 16384 bytes",
  unsupported_media_type: "request body must be JSON (Content-Type: application/json)",
  rate_limited: "too many keys requested for this user; retry later",
  quota_exceeded: "daily quota of 500 keys reached; it resets at 00:00 UTC",
  upstream_rate_limited: "soniox is rate limiting key creation; retry later",
  misconfigured:
    "ALLOWED_ORIGINS entry 2 is not a bare origin: write each as scheme://host[:port] in lowercase, like https://app.example.com, with no wildcard, path, trailing slash, query or credentials",
  internal_error: "internal error",
  upstream_auth_failed: "soniox rejected the broker's credentials; the operator must check them",
  upstream_rejected: "speechmatics rejected the request: region must be one of: eu, usa, au",
  upstream_error: "soniox failed to create a key (status 500)",
  vendor_credential_refused:
    "acedata issued a credential that the broker refused, so it was not handed out: it would outlive ttl_seconds",
  audit_unavailable: "the key could not be recorded for audit, so it was not issued; retry later",
  quota_unavailable: "the per-user quota store could not be reached; retry later",
  stats_unavailable: "the mint counts could not be read; retry later",
  auth_unavailable: "the identity provider's keys could not be fetched; retry later",
  upstream_timeout: "soniox did not answer within 5000 ms",
};

export function errorExample(code: ErrorCode) {
  return { error: { code, message: ERROR_MESSAGES[code], request_id: REQUEST_ID } };
}

/** The audit record of the Soniox example mint. */
export const AUDIT_RECORD_EXAMPLE: AuditRecord = {
  id: EXAMPLE_ISSUANCE_ID,
  at: iso(at(0)),
  vendor: "soniox",
  client_ref: EXAMPLE_CLIENT_REF,
  issuer: "https://securetoken.google.com/my-project-id",
  subject: EXAMPLE_CLIENT_REF,
  outcome: "issued",
  ttl_seconds: 120,
  expires_at: later(120),
  options: { usage_type: "transcribe_websocket", single_use: true },
  upstream_status: 200,
  error_code: null,
  key_fingerprint: "3f9a1c7e5b2d8f04",
  vendor_key_id: null,
  ip: "203.0.113.7",
  origin: "https://app.example.com",
  user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605.1.15",
  request_id: REQUEST_ID,
  caller_request_id: null,
  reason: null,
  deny_until: null,
  actor: null,
};

/** The operator in the examples, as Cloudflare Access names them. */
export const EXAMPLE_ACTOR = "ops@example.com";

/** An operator's deny of the same user, an hour later. */
export const DENY_RECORD_EXAMPLE: AuditRecord = {
  ...AUDIT_RECORD_EXAMPLE,
  id: nextId(at(3_600_000)),
  at: iso(at(3_600_000)),
  vendor: null,
  issuer: null,
  subject: null,
  outcome: "denied",
  ttl_seconds: null,
  expires_at: null,
  options: {},
  upstream_status: null,
  key_fingerprint: null,
  user_agent: "curl/8.7.1",
  origin: null,
  reason: "abuse report 1432",
  deny_until: later(3_600 + 86_400),
  actor: EXAMPLE_ACTOR,
};

export const EXAMPLE_TIMES = {
  mint: iso(at(0)),
  dayStart: "2026-03-02T00:00:00Z",
  dayEnd: "2026-03-03T00:00:00Z",
  deny: iso(at(3_600_000)),
  denyUntil: later(3_600 + 86_400),
};

/** `GET /v1/audit`'s example filters: alice's Soniox records on the example day. */
export const EXAMPLE_LIST_FILTERS = {
  client_ref: EXAMPLE_CLIENT_REF,
  vendor: "soniox",
  since: EXAMPLE_TIMES.dayStart,
  until: EXAMPLE_TIMES.dayEnd,
} as const;

/**
 * The cursor a listing with `EXAMPLE_LIST_FILTERS` answers after the Soniox example record:
 * bound to those filters by the broker's own hash, and resuming after that record's entry in
 * alice's index. A test lists with it.
 */
export async function exampleListCursor(): Promise<string> {
  const { client_ref, vendor, since, until } = EXAMPLE_LIST_FILTERS;
  const filters = await filterHash({ clientRef: client_ref, vendor, since: new Date(since), until: new Date(until) });
  return encodeCursor(filters, { after: await userIndexKey(client_ref, EXAMPLE_ISSUANCE_ID) });
}

/** `GET /v1/admin/stats` for soniox on the example day's afternoon: alice's mint, a refusal and a vendor failure. */
export const STATS_EXAMPLE = {
  since: "2026-03-02T14:00:00.000Z",
  until: "2026-03-02T16:00:00.000Z",
  hours: [
    { hour: "2026-03-02T14:00:00.000Z", vendor: "soniox", outcome: "issued", count: 12 },
    { hour: "2026-03-02T14:00:00.000Z", vendor: "soniox", outcome: "refused_quota", count: 1 },
    { hour: "2026-03-02T15:00:00.000Z", vendor: "soniox", outcome: "issued", count: 9 },
    { hour: "2026-03-02T15:00:00.000Z", vendor: "soniox", outcome: "upstream_timeout", count: 2 },
  ],
  distinct_users: [{ day: "2026-03-02", count: 5 }],
};

/** A row of `GET /v1/admin/users` for the example day: alice, denied an hour after her mint. */
export const USERS_ROW_EXAMPLE = {
  client_ref: EXAMPLE_CLIENT_REF,
  mints: 3,
  refusals: 1,
  last_mint_at: iso(at(0)),
  vendors: ["soniox", "speechmatics"],
  daily_quota: 500,
  deny: { reason: "abuse report 1432", until: EXAMPLE_TIMES.denyUntil, actor: EXAMPLE_ACTOR },
};
