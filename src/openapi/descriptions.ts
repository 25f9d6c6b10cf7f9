import { EXPORT_SETTLE_SECONDS, MAX_EXPORT_RECORDS } from "../audit/export";
import {
  DEFAULT_AUDIT_PAGE_SIZE,
  DEFAULT_USERS_PAGE_SIZE,
  MAX_AUDIT_HEADER_BYTES,
  MAX_AUDIT_PAGE_SIZE,
  MAX_CLIENT_REF_CHARS,
  MAX_USERS_PAGE_SIZE,
} from "../constants";
import type { VendorId, vendors } from "../vendors/registry";
import type { PropertyDescriptions } from "./json-schema";

/**
 * The text of the document: what each property and parameter means. The
 * generator fails when a property has no description here, or a description
 * names a property that no longer exists.
 */

const ISSUANCE_ID =
  "26 characters of Crockford base32 (no I, L, O or U) that sort by creation time: 10 for the millisecond, 16 random.";

const errorEnvelope: PropertyDescriptions = {
  error: "The failure.",
  "error.code": "Stable machine-readable code; a code always comes with the same HTTP status.",
  "error.message": "What went wrong, for a developer; never holds a token, key or secret. Its wording may change.",
  "error.request_id": "The broker's id for this request, the same as the `X-Request-Id` response header.",
};

/** The fields of `connect`, under `prefix` (the path of the `connect` property). */
function connectDescriptions(prefix: string): PropertyDescriptions {
  const entries: PropertyDescriptions = {
    "": "How the client presents the key: the transport, the endpoint and where the credential goes. It names places only and never holds a secret that `key` or `url` does not; the broker neither logs nor audits it.",
    ".transport":
      "`websocket`, `webrtc` (post an SDP offer over HTTP; with credential `sdk`, the vendor SDK's own signalling) or `http` (the vendor's HTTP API).",
    ".endpoint":
      "The URL to open or post to, where the vendor has a fixed one; null otherwise. When the operator overrides the vendor's base URL (a regional host, or the emulator), it is on that host. A `{name}` path segment is the app's to fill in (ElevenLabs' `{voice_id}`).",
    ".credential": "Where the credential goes; `in` says which of the forms it is.",
    ".credential.in":
      "`query`: a query parameter of the endpoint, named `name`, holding the key, or with `scheme` the scheme, a space and the key. `subprotocols`: the WebSocket subprotocols `protocols`, in order, with the key in place of `{key}`. `header`: the header `name`, with `scheme` before the key. `url`: open the answer's `url` as it is. `message`: field `field` of the first message sent once the socket is open. `sdk`: the vendor's client SDK takes the key and opens its own connection under `endpoint`, given both (LiveKit's `room.connect(endpoint, key)`) or the key alone (Twilio's `new Device(key)`).",
    ".credential.name": "The query parameter or header that carries the key.",
    ".credential.protocols":
      "The WebSocket subprotocols in order; the one holding `{key}` carries the key in its place.",
    ".credential.scheme":
      "The authorization scheme written before the key and a space, e.g. `Bearer`: a header's, or a query parameter's that carries an `Authorization` value (Azure).",
    ".credential.field": "The field of the first message that carries the key.",
    ".params": "Query parameters the vendor requires beside the credential, with their values; absent when none.",
  };
  return Object.fromEntries(Object.entries(entries).map(([path, text]) => [prefix + path, text]));
}

/** Each component schema's properties, by schema name. */
export const SCHEMA_DESCRIPTIONS: Record<string, PropertyDescriptions> = {
  Error: errorEnvelope,
  Health: { status: "`ok`: every setting and binding is valid." },
  Degraded: {
    status: "`degraded`: at least one setting or binding is wrong.",
    problems: "Each broken setting or binding, never its value.",
    "problems[].variable": "The variable or binding at fault, e.g. `ALLOWED_ORIGINS` or `AUDIT`.",
    "problems[].problem": "What is wrong with it.",
  },
  VendorList: {
    vendors:
      "The vendors this caller may mint for, in registry order: configured on this broker, enabled by `POLICY`, and with a claim gate the caller's token passes.",
    "vendors[].id": "The vendor id, as in `POST /v1/keys/{vendor}`.",
    "vendors[].ttl_seconds": "The `ttl_seconds` this caller may ask for, after `POLICY`.",
    "vendors[].ttl_seconds.min": "Shortest TTL, in seconds.",
    "vendors[].ttl_seconds.max": "Longest TTL, in seconds.",
    "vendors[].ttl_seconds.default": "TTL when the request leaves `ttl_seconds` out, in seconds.",
    "vendors[].credential":
      "What the credential allows, in a sentence: single or multiple use, session caps, fixed life.",
    "vendors[].options":
      "JSON Schema of each request field besides `ttl_seconds`, narrowed by `POLICY`: `const` for a forced value, `enum` for an allowed set, `minimum`/`maximum` for a range.",
    ...connectDescriptions("vendors[].connect"),
    "vendors[].connect":
      "How a client presents a key minted with the default options (as `POLICY` leaves them); a mint's own `connect` follows the options it applied.",
  },
  Usage: {
    client_ref: "The caller, from the verified token.",
    day: "The UTC day counted, `YYYY-MM-DD`.",
    mints:
      "Keys counted against the caller this day, all vendors together: those the vendors issued, and mints still under way.",
    quota: "`DAILY_MINT_QUOTA`; null when there is none.",
    remaining: "Keys the caller may still get this day under `DAILY_MINT_QUOTA`; null when there is no quota.",
    vendors:
      "Per vendor: those the caller minted for this day, and those with a `daily_quota` of their own in `POLICY`.",
    "vendors.*.mints": "Keys of this vendor counted against the caller this day, mints under way included.",
    "vendors.*.quota": "The vendor's `daily_quota` in `POLICY`; null when it has none.",
  },
  LiveKitTokenRequest: {
    room_name:
      "The room to join (the `livekit` option `room`): 1 to 128 characters of `A-Z a-z 0-9 _ - . : @ |`. Left out: a new room of its own.",
    participant_name: "The participant's display name (`name`), 1 to 128 characters. Left out: none.",
    participant_metadata: "Participant metadata (`metadata`), 1 to 1024 characters. Left out: none.",
  },
  LiveKitToken: {
    server_url: "The LiveKit server URL to join (`LIVEKIT_URL`): `room.connect(server_url, participant_token)`.",
    participant_token:
      "The LiveKit access token: identity `client_ref`, the room and rights of the `livekit` options applied.",
  },
  DenyRequest: {
    client_ref: `The user to stop, as the audit trail names them (a pseudonym when \`CLIENT_REF_SECRET\` is set); 1 to ${MAX_CLIENT_REF_CHARS} characters.`,
    reason: "Why, for the audit trail; never shown to the user.",
    until: "When the deny ends (ISO 8601); left out, it lasts until lifted. A time already past denies nothing.",
  },
  VendorStates: {
    vendors: "Every vendor of this broker, in the registry's order.",
    "vendors[].id": "The vendor.",
    "vendors[].state":
      "`configured` (mints are possible), `not_configured` (its secret is unset), `misconfigured` (a setting is invalid; `GET /healthz` names it) or `disabled` (by `POLICY`).",
    "vendors[].loopback":
      "True when a base URL it uses is on a loopback host: under `npm run dev`, the vendor emulator. Never true in a deployed broker, where such URLs reach nothing.",
  },
  DenyState: {
    client_ref: "The user.",
    denied: "True while new keys are refused for this user.",
    reason: "The operator's reason for the deny in force; null when there is none.",
    until: "When the deny in force ends; null when it lasts until lifted, or when there is none.",
    since: "When the deny in force was set; null when there is none.",
    actor:
      "Who set the deny in force: the Cloudflare Access identity's email (or its `sub`), or `admin-token`; null when there is none, or for a deny set before actors were recorded.",
  },
  Stats: {
    since: "The window's start, as applied.",
    until: "The window's end, as applied.",
    hours:
      "Counts of finished `POST /v1/keys/{vendor}` and `POST /v1/livekit/token` requests of a verified user per UTC hour, vendor and outcome, in that order; requests without a verified user (`401`) are not counted. Hours, vendors and outcomes with none are left out.",
    "hours[].hour": "The hour's start (UTC).",
    "hours[].vendor": "The vendor asked; `unknown` when the path named none the broker has.",
    "hours[].outcome":
      "`issued`; a vendor failure's error code; `refused_quota`, `refused_deny`, `refused_policy` (POLICY or a vendor setting such as AmiVoice's IP binding), `refused_burst`, `refused_invalid` (any other 4xx); `error` (the broker's own 5xx).",
    "hours[].count": "Requests with that outcome in that hour.",
    distinct_users:
      "Per UTC day the window touches: the users with at least one counted request (of `vendor` when given).",
    "distinct_users[].day": "The UTC day.",
    "distinct_users[].count": "Distinct `client_ref`s, exactly.",
  },
  Users: {
    day: "The UTC day listed.",
    users: "The users with at least one counted request that day, in `client_ref` order.",
    "users[].client_ref": "The user.",
    "users[].mints": "Keys issued to the user that day.",
    "users[].refusals": "The user's refused requests that day (every `refused_*` outcome).",
    "users[].last_mint_at": "When the user's last key that day was issued; null when none was.",
    "users[].vendors": "The vendors the user asked for that day, whatever the outcome.",
    "users[].daily_quota": "`DAILY_MINT_QUOTA`, the keys a user may receive per UTC day; null when there is no quota.",
    "users[].deny": "The deny in force now, from the deny list; null when there is none.",
    "users[].deny.reason": "The operator's reason.",
    "users[].deny.until": "When it ends; null until lifted.",
    "users[].deny.actor": "Who set it; null for a deny set before actors were recorded.",
    cursor: "Send as `cursor` (with the same `day`) for the next page; null on the last page.",
  },
  AuditRecord: {
    id: `The issuance id: ${ISSUANCE_ID} Also a cursor for \`GET /v1/audit/export\`.`,
    at: "When the broker made the record (UTC): just before the vendor call, or at the operator's action.",
    vendor: "The vendor asked; null for an operator action on a user.",
    client_ref:
      "The user: the verified token's `CLIENT_REF_CLAIM` (or its pseudonym), or the user an operator acted on.",
    issuer:
      "The token's `iss` (at most 256 characters); null for an operator action, or when it was missing or longer, or left the record too large for KV's index metadata.",
    subject:
      "The token's `sub` (at most 256 characters); null for an operator action, or when it was missing or longer, or left the record too large for KV's index metadata.",
    outcome:
      "`issued`: the key was handed out; `upstream_error`: the vendor failed, or its key was not handed out; `denied` and `deny_lifted`: an operator stopped or restarted new keys for the user.",
    ttl_seconds: "The TTL asked for (or the default), in seconds; null for an operator action.",
    expires_at:
      "When the key expires: set for an issued key, and for a key refused because it would outlive its TTL; null otherwise.",
    options:
      "The vendor options applied (asked for, when the vendor failed), as in the mint answer; empty for an operator action.",
    upstream_status:
      "The vendor's HTTP status; null when it did not answer (timeout, network) and for an operator action.",
    error_code: "The broker's error code when the outcome is `upstream_error`; null otherwise.",
    key_fingerprint:
      "First 16 hex characters of the SHA-256 of the key, to recognise a leaked key without storing it: set whenever the vendor's answer held one, handed out or refused (`vendor_credential_refused`); null when it held none.",
    vendor_key_id: "The vendor's own id for the credential, when it gives one (AceData); null otherwise.",
    ip: "The caller's address (`CF-Connecting-IP`); null when the platform gave none. Cut as `user_agent` is.",
    origin: "The caller's `Origin` header; null without one. Cut as `user_agent` is.",
    user_agent: `The caller's \`User-Agent\`; null without one. Cut to ${MAX_AUDIT_HEADER_BYTES} bytes of JSON (UTF-8), and further when the record would not fit KV's 1024-byte index metadata otherwise; a cut value ends in \`…\`.`,
    request_id: "The broker's id for the request (its `X-Request-Id` response header).",
    caller_request_id:
      "The caller's own `X-Request-Id`, when it sent a plain one (8 to 128 of `A-Za-z0-9._:-`); the caller chose it, so it proves nothing. Cut, ending in `…`, only when the record would not fit KV's index metadata otherwise.",
    reason:
      "For `denied` and `deny_lifted`: the operator's reason; null otherwise. Cut, ending in `…`, only when the record would not fit KV's index metadata otherwise.",
    deny_until: "For `denied` and `deny_lifted`: when the deny was set to end; null when it had no end, and otherwise.",
    actor:
      "For `denied` and `deny_lifted`: the operator who acted, as the admin auth verified them: the Cloudflare Access identity's email (or its `sub`), or `admin-token`. Null for a mint, and in records written before actors were recorded.",
  },
  AuditPage: {
    records:
      "Matching records, newest first by issuance id; may be fewer than `limit`, or none, while `cursor` is not null.",
    cursor: "Send as `cursor`, with the same filters, for the next page; null when the listing is complete.",
  },
  AuditExportEnd: {
    cursor: "Where the next request resumes: send it as `cursor`.",
    complete:
      "True when every record before `until` was sent (ask again later, without `until`, for newer ones); false when this response reached `limit` or its read budget (ask again at once).",
  },
  AuditExportError: {
    ...errorEnvelope,
    "error.message":
      "What went wrong; the audit store failed after the body had started, so the status was already 200.",
    cursor: "The position after the last record sent: resume with it, and nothing is lost or repeated.",
  },
  OpenApiDocument: {
    openapi: "The OpenAPI version of this document.",
    info: "Title, version and description of the API.",
    "info.title": "The API's name.",
    "info.version": "The API's version.",
    paths: "Every path and the operations it answers.",
    components: "Schemas, responses, headers, links and security schemes the paths refer to.",
  },
};

type RequestFields = { [V in VendorId]: Record<keyof (typeof vendors)[V]["fields"], string> };

/** Each vendor's request fields besides `ttl_seconds`; the compiler asks for every field. */
export const REQUEST_FIELD_DESCRIPTIONS: RequestFields = {
  soniox: {
    usage_type:
      "What the key is for: `transcribe_websocket` (real-time speech-to-text) or `tts_rt` (real-time text-to-speech).",
    single_use:
      "True: the key opens one connection only, and clients never cache or share it. Left out: Soniox's default, several sessions until it expires.",
    max_session_duration_seconds: "Longest session the key may open, in seconds. Left out: no limit of the key's own.",
  },
  speechmatics: {
    type: "`rt` for the real-time API, `batch` for batch jobs; a batch key reaches only jobs with the user's `client_ref`.",
    region:
      "Speechmatics region of the key: `eu`, `usa` or `au`. Sent with `rt` keys as well as `batch` ones, as Speechmatics' own SDK does; left out, Speechmatics' default (`eu`).",
  },
  amivoice: {
    bind_ip:
      "True: the key works only from the caller's IPv4 address (`CF-Connecting-IP`). An IPv6 caller gets an unbound key (`ip_bound: false`), or `403` when the operator set `AMIVOICE_REQUIRE_IP_BINDING`, which also refuses `false`.",
  },
  acedata: {
    limited_amount:
      "Spending cap of the credential, a positive number in AceData's units; at most `ACEDATA_MAX_AMOUNT` when the operator set it, which is then also the default.",
  },
  deepgram: {},
  azure: {},
  xai: {},
  "aws-transcribe": {
    language_code:
      "The stream's language (`language-code`), one of the language codes Transcribe streaming supports (`en-US`, `de-DE`, …). Not with `identify_language`. Left out: `en-US`, unless `identify_language`.",
    identify_language:
      "True: Transcribe identifies the language among `language_options` (`identify-language`). Left out: false.",
    language_options:
      "With `identify_language`, and only then: two or more supported language codes, comma-separated, at most one dialect per language (`en-US,es-US`).",
    media_encoding:
      "The audio's encoding (`media-encoding`): `pcm` (signed 16-bit little-endian), `ogg-opus` or `flac`. Left out: `pcm`.",
    sample_rate: "The audio's sample rate in Hz (`sample-rate`), 8000 to 48000. Left out: 16000.",
  },
  "twilio-voice": {
    incoming:
      "True: the token also lets the user receive calls to their identity (`client_ref`). Left out: false, outgoing calls only.",
  },
  livekit: {
    room: "The one LiveKit room the token joins: 1 to 128 characters of `A-Z a-z 0-9 _ - . : @ |`. Left out: a new room, `room-<random UUID>`, as LiveKit's starter apps make one per session. `POLICY` can force it (`{client_ref}` in a forced room stands for the user).",
    can_publish: "Whether the participant may publish audio and video tracks. Left out: true.",
    can_subscribe: "Whether the participant may subscribe to the room's tracks. Left out: true.",
    can_publish_data: "Whether the participant may send data messages. Left out: true.",
    name: "The participant's display name (LiveKit's `name`), 1 to 128 characters; the identity is always `client_ref`. Left out: none.",
    metadata:
      "Participant metadata the room sees (LiveKit's `metadata`), one string of 1 to 1024 characters. Left out: none.",
  },
  openai: {
    session_type: "The session the client secret opens: `realtime` (speech to speech) or `transcription`.",
    model:
      "The model: a realtime session's own, or a transcription session's transcription model. Left out: OpenAI's default.",
  },
  assemblyai: {
    max_session_duration_seconds:
      "Longest streaming session the token may open, in seconds. Left out: AssemblyAI's default, 10800 (3 hours).",
  },
  gemini: {
    new_session_seconds:
      "Seconds after the mint within which a Live session may start (Gemini's `newSessionExpireTime`), 10 up to `ttl_seconds`.",
    uses: "Live sessions the token may start, 1 to 10 (never 0, which Gemini reads as unlimited); resuming a session is not a use.",
    model:
      "The Live model the token is locked to (sent as `models/<model>`, with `fieldMask` locking it). Left out: the client picks the model.",
  },
  elevenlabs: {
    kind: "`realtime_scribe` or `tts_websocket`: a single-use token for that WebSocket; `agent`: a signed URL for conversations with one agent.",
    agent_id: "The agent to talk to: required with `kind` `agent`, refused with any other kind.",
  },
  mistral: {
    model:
      "The realtime transcription model the token is scoped to: `voxtral-mini-transcribe-realtime-2602`, the one Mistral documents. The client opens the same model (`?model=`). Left out: `voxtral-mini-transcribe-realtime-2602`.",
  },
  cartesia: {
    grants:
      'The Cartesia APIs the token may use: any of `tts`, `stt` and `agent`, each at most once, in any order (`["tts", "stt"]`). Left out: `["stt"]`.',
  },
  gladia: {
    encoding: "The audio's encoding: `wav/pcm`, `wav/alaw` or `wav/ulaw` (8-bit only). Left out: `wav/pcm`.",
    bit_depth: "The audio's bit depth: 8, 16, 24 or 32 (8 with `wav/alaw` and `wav/ulaw`). Left out: 16.",
    sample_rate: "The audio's sample rate in Hz: 8000, 16000, 32000, 44100 or 48000. Left out: 16000.",
    channels: "The audio's channel count, 1 to 8. Left out: 1.",
    model: "The transcription model: `solaria-1`, the only one Gladia documents. Left out: `solaria-1`.",
    languages:
      "Gladia's `language_config.languages`: language codes (`en`, `fr`, …, each at most once), comma-separated (`en,fr`). Left out: Gladia detects the language.",
  },
};

/** Fields of every minted key's answer. */
export const MINTED_KEY_DESCRIPTIONS: PropertyDescriptions = {
  vendor: "The vendor the key is for.",
  key: "The short-lived credential to give the vendor's API or SDK. As secret as a password: never log it.",
  expires_at:
    "When the key expires (UTC): the vendor's own expiry when it gives one, else its TTL counted from just before the vendor call, so it never overstates.",
  ttl_seconds: "The TTL asked for, or the default, in seconds.",
  client_ref: "The user the key was minted for, from the verified token (never from the body).",
  issuance_id: `The id of this issuance's audit record (\`GET /v1/audit/{issuance_id}\`): ${ISSUANCE_ID}`,
  ...connectDescriptions("connect"),
};

/** Fields some vendors add to a minted key's answer besides their echoed request fields. */
export const MINTED_KEY_EXTRA_DESCRIPTIONS: Partial<Record<VendorId, PropertyDescriptions>> = {
  amivoice: {
    ip_bound: "True when the key is bound to the caller's IPv4 address; false for an IPv6 caller or `bind_ip: false`.",
  },
  acedata: {
    limited_amount:
      "The spending cap applied: the one asked for, else `ACEDATA_MAX_AMOUNT`; absent when there is none.",
    host: "The domain the credential is bound to (`ACEDATA_HOST`), when the operator set one.",
  },
  assemblyai: { single_use: "Always true: the token opens one streaming session; never cache or share it." },
  gemini: { single_use: "True when `uses` is 1: the token opens one Live session; never cache or share it." },
  azure: {
    region:
      "The Speech resource's region (`westeurope`), which the Speech SDK needs beside the token: `AZURE_SPEECH_REGION`, or with `AZURE_SPEECH_ENDPOINT` the token's own `region` claim.",
  },
  elevenlabs: {
    single_use: "Always true for a token: its first connection consumes it; never cache or share it.",
    url: "The signed WebSocket URL that starts a conversation with the agent; `key` is the credential inside it, and the URL is as secret.",
  },
  "aws-transcribe": {
    url: "The presigned `wss://` URL to open as given: it starts one stream with these settings until `expires_at` (`X-Amz-Expires`), and a stream started in time may run past it. `key` is its `X-Amz-Signature`; the URL is as secret.",
    session_id:
      "The stream's `session-id`, signed into the URL: AWS answers it as `x-amzn-transcribe-session-id`, and it is the audit's `vendor_key_id`. Not a credential.",
    single_use:
      "Always true: a second stream started with the URL ends the first (AWS's `ConflictException` for a repeated `session-id`); never cache or share it.",
  },
  gladia: {
    single_use: "Always true: the URL is one live session; never cache or share it.",
    url: "The live session's WebSocket URL, to open as given; `key` is the token inside it, and the URL is as secret.",
    session_id:
      "Gladia's id of the live session (also the audit's `vendor_key_id`), which `@gladiaio/sdk`'s `connectSession` takes beside the URL. Not a credential.",
  },
};

/** The query parameters of `GET /v1/audit`. */
export const AUDIT_QUERY_DESCRIPTIONS: Record<string, string> = {
  client_ref: "Only this user's records.",
  vendor: "Only this vendor's records.",
  since: "Only records made at or after this time (ISO 8601, `Z` or an offset). Must not be after `until`.",
  until: "Only records made at or before this time (ISO 8601, `Z` or an offset). Must not be before `since`.",
  limit: `Most records in this page, 1 to ${MAX_AUDIT_PAGE_SIZE}; default ${DEFAULT_AUDIT_PAGE_SIZE}.`,
  cursor:
    "The `cursor` of the previous page, to continue the listing; only valid with the same `client_ref`, `vendor`, `since` and `until`.",
};

/** The query parameters of `GET /v1/admin/stats`. */
export const STATS_QUERY_DESCRIPTIONS: Record<string, string> = {
  since:
    "The window's start (ISO 8601, `Z` or an offset): hours that end after it are counted. Default: the start of the hour 23 hours before `until`'s, so 24 hours in all. Must be before `until`, at most 7 days.",
  until: "The window's end (ISO 8601): hours that start before it are counted. Default: now.",
  vendor: "Only this vendor's counts, and the users who asked for it.",
};

/** The query parameters of `GET /v1/admin/users`. */
export const USERS_QUERY_DESCRIPTIONS: Record<string, string> = {
  day: "The UTC day, `YYYY-MM-DD`. Default: today.",
  limit: `Most users in this page, 1 to ${MAX_USERS_PAGE_SIZE}; default ${DEFAULT_USERS_PAGE_SIZE}.`,
  cursor: "The `cursor` of the previous page; only valid with the same `day`.",
};

/** The query parameters of `GET /v1/audit/export`. */
export const EXPORT_QUERY_DESCRIPTIONS: Record<string, string> = {
  since: "Start of the range, inclusive (ISO 8601). Required unless `cursor` is given; with both, the later applies.",
  until: `End of the range, exclusive (ISO 8601); must be after \`since\`. Defaults to, and may not be later than, ${EXPORT_SETTLE_SECONDS} seconds ago.`,
  cursor:
    "Resume strictly after this position: the `cursor` of the last line, or the `id` of the last record received. Does not depend on the filters.",
  client_ref: "Only this user's records.",
  vendor: "Only this vendor's records.",
  limit: `Most records in this response, 1 to ${MAX_EXPORT_RECORDS} (the default).`,
};
