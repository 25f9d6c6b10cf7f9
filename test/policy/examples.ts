/**
 * Example policies for operators, kept here so that a test proves they parse.
 * The README quotes them.
 */

/** Free tier: Soniox only, single-use keys of at most two minutes, 20 a day per user. */
export const FREE_TIER_POLICY = {
  soniox: {
    ttl_seconds: { max: 120, default: 60 },
    daily_quota: 20,
    options: {
      single_use: { force: true },
      usage_type: { in: ["transcribe_websocket"] },
    },
  },
  speechmatics: { enabled: false },
  amivoice: { enabled: false },
  acedata: { enabled: false },
};

/** Pro tier: every vendor for users whose token says `"plan": "pro"`, with longer keys. */
export const PRO_TIER_POLICY = {
  soniox: {
    require_claim: { claim: "plan", in: ["pro"] },
    ttl_seconds: { max: 3600, default: 900 },
    daily_quota: 500,
  },
  speechmatics: {
    require_claim: { claim: "plan", in: ["pro"] },
    ttl_seconds: { default: 900 },
    daily_quota: 500,
    options: { region: { force: "eu" } },
  },
  amivoice: {
    require_claim: { claim: "plan", in: ["pro"] },
    ttl_seconds: { max: 3600, default: 900 },
    daily_quota: 200,
    options: { bind_ip: { force: true } },
  },
  acedata: {
    require_claim: { claim: "plan", in: ["pro"] },
    ttl_seconds: { max: 7200, default: 3600 },
    daily_quota: 50,
    options: { limited_amount: { force: 5 } },
  },
};
