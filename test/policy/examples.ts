/**
 * Example policies for operators, kept here so that a test (examples.test.ts)
 * proves they parse and do what the docs say, for every vendor in the registry.
 * Every POLICY example in the repo's Markdown must be one of these, quoted
 * exactly (test/docs/policy-examples.test.ts); docs/operations.md quotes them all.
 */

/** Free tier: Soniox only, single-use keys of at most two minutes, 20 a day per user; every other vendor off. */
export const FREE_TIER_POLICY = {
  "*": { enabled: false },
  soniox: {
    enabled: true,
    ttl_seconds: { max: 120, default: 60 },
    daily_quota: 20,
    options: {
      single_use: { force: true },
      usage_type: { in: ["transcribe_websocket"] },
    },
  },
};

/** Pro tier: every vendor for users whose token says `"plan": "pro"`, 500 keys a day each unless set lower, with longer keys. */
export const PRO_TIER_POLICY = {
  "*": {
    require_claim: { claim: "plan", in: ["pro"] },
    daily_quota: 500,
  },
  soniox: {
    ttl_seconds: { default: 900 },
  },
  speechmatics: {
    ttl_seconds: { default: 900 },
    options: { region: { force: "eu" } },
  },
  amivoice: {
    ttl_seconds: { max: 3600, default: 900 },
    daily_quota: 200,
    options: { bind_ip: { force: true } },
  },
  acedata: {
    ttl_seconds: { max: 7200, default: 3600 },
    daily_quota: 50,
    options: { limited_amount: { force: 5 } },
  },
};

/** Two OpenAI models only: a client must name one of them; every other vendor keeps its own rules. */
export const OPENAI_MODELS_POLICY = {
  openai: { options: { model: { in: ["gpt-realtime", "gpt-realtime-mini"] } } },
};

/** The agent of `ELEVENLABS_AGENT_POLICY`. */
export const ELEVENLABS_AGENT_ID = "agent_3701k3ttaq12ewp8b7qv5rfyszkz";

/** One ElevenLabs agent only: signed URLs for this agent, no single-use tokens; every other vendor keeps its own rules. */
export const ELEVENLABS_AGENT_POLICY = {
  elevenlabs: { options: { kind: { force: "agent" }, agent_id: { in: [ELEVENLABS_AGENT_ID] } } },
};

/** Every example, by name: the only POLICY values the docs may show. */
export const EXAMPLE_POLICIES: Record<string, unknown> = {
  FREE_TIER_POLICY,
  PRO_TIER_POLICY,
  OPENAI_MODELS_POLICY,
  ELEVENLABS_AGENT_POLICY,
};
