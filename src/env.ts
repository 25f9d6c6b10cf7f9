import type { UserState } from "./user-state/object";

/**
 * Bindings, vars and secrets of the Worker. Vars and secrets are optional here
 * on purpose: `config.ts` reads these, checks them and names what is missing.
 * `AUDIT` is typed as bound, as `wrangler.toml` binds it, and `config.ts`
 * still checks it at run time. Vars may arrive as numbers when written
 * unquoted in `wrangler.toml`.
 */
export interface Env {
  /** KV namespace holding the audit trail (`wrangler kv namespace create AUDIT`). */
  AUDIT: KVNamespace;
  /** Durable Object namespace `UserState`, one per client_ref: exact daily quotas and the deny (wrangler.toml). */
  USER_STATE: DurableObjectNamespace<UserState>;
  /** Optional Workers rate limiting binding: mints per client_ref (see wrangler.toml). Unbound: no limit. */
  MINT_RATE_LIMITER?: RateLimit;

  /** JWKS mode: URL of the identity provider's key set, e.g. `https://idp.example.com/.well-known/jwks.json`. */
  AUTH_JWKS_URL?: string;
  /** Expected `iss` claim. Required in JWKS mode, checked when set in HS256 mode. */
  AUTH_ISSUER?: string;
  /** Expected `aud` claim. Required in JWKS mode, checked when set in HS256 mode. */
  AUTH_AUDIENCE?: string;
  /** Secret. HS256 mode: the shared secret your backend signs end-user tokens with (32+ bytes). */
  AUTH_HS256_SECRET?: string;
  /** Claim that identifies the end user; becomes `client_ref`. Default `sub`. */
  CLIENT_REF_CLAIM?: string;
  /** Secret. When set, `client_ref` is a pseudonym: an HMAC of issuer and claim keyed by this (32+ bytes, e.g. `openssl rand -hex 32`). */
  CLIENT_REF_SECRET?: string;

  /** Secret. Bearer token for the admin API, `/v1/audit` and `/v1/admin/deny` (32+ characters, e.g. `openssl rand -hex 32`). */
  ADMIN_TOKEN?: string;
  /** Comma-separated exact browser origins allowed to call the broker. */
  ALLOWED_ORIGINS?: string;
  /** Milliseconds one vendor or JWKS call may take. */
  UPSTREAM_TIMEOUT_MS?: string | number;
  /** Days an audit record is kept. */
  AUDIT_RETENTION_DAYS?: string | number;
  /** Keys one client_ref may receive per UTC day, across vendors; `0` means no quota. Default 500. */
  DAILY_MINT_QUOTA?: string | number;
  /** JSON object of per-vendor rules: enabled, ttl_seconds, daily_quota, options, require_claim (see README). */
  POLICY?: string | Record<string, unknown>;

  /** Secret. Soniox API key from console.soniox.com; unset disables Soniox. */
  SONIOX_API_KEY?: string;
  SONIOX_BASE_URL?: string;
  /** Secret. Speechmatics API key from the portal's Manage > API Keys; unset disables Speechmatics. */
  SPEECHMATICS_API_KEY?: string;
  SPEECHMATICS_BASE_URL?: string;

  /** Secret. AmiVoice service ID from MyPage; set with AMIVOICE_SPW, or use AMIVOICE_ISSUER_KEY instead. */
  AMIVOICE_SID?: string;
  /** Secret. AmiVoice service password from MyPage (not the MyPage login password). */
  AMIVOICE_SPW?: string;
  /** Secret. AmiVoice API key issued on MyPage with the "Issuable" setting; instead of SID/SPW. */
  AMIVOICE_ISSUER_KEY?: string;
  AMIVOICE_BASE_URL?: string;
  /** `true` refuses AmiVoice keys that cannot be bound to the caller's IPv4 address. */
  AMIVOICE_REQUIRE_IP_BINDING?: string | boolean;

  /** Secret. AceData platform token; unset disables AceData. */
  ACEDATA_PLATFORM_TOKEN?: string;
  /** AceData application id (UUID) that keys are created for. */
  ACEDATA_APPLICATION_ID?: string;
  ACEDATA_BASE_URL?: string;
  /** Largest `limited_amount` an end user may ask for, and the default when they ask for none. */
  ACEDATA_MAX_AMOUNT?: string | number;
  /** Domain every AceData key is bound to (sent as `host`). */
  ACEDATA_HOST?: string;

  /** Secret. OpenAI API key (a project key) from platform.openai.com/api-keys; unset disables OpenAI Realtime. */
  OPENAI_API_KEY?: string;
  /** OpenAI API base URL without `/v1`; default `https://api.openai.com`. */
  OPENAI_BASE_URL?: string;

  /** Secret. Deepgram API key (Member role or higher) from console.deepgram.com; unset disables Deepgram. */
  DEEPGRAM_API_KEY?: string;
  /** Deepgram API base URL; default `https://api.deepgram.com` (e.g. a regional or self-hosted endpoint). */
  DEEPGRAM_BASE_URL?: string;

  /** Secret. AssemblyAI API key from the dashboard's API Keys page; unset disables AssemblyAI streaming. */
  ASSEMBLYAI_API_KEY?: string;
  /** AssemblyAI streaming API base URL; default `https://streaming.assemblyai.com` (e.g. `https://streaming.eu.assemblyai.com`). */
  ASSEMBLYAI_BASE_URL?: string;

  /** Secret. ElevenLabs API key (xi-api-key) from the dashboard's API Keys page; unset disables ElevenLabs. */
  ELEVENLABS_API_KEY?: string;
  /** ElevenLabs API base URL; default `https://api.elevenlabs.io` (e.g. `https://api.eu.residency.elevenlabs.io`). */
  ELEVENLABS_BASE_URL?: string;
}
