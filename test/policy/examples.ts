/**
 * Example policies for operators, kept here so that a test proves they parse
 * and do what the README says for every vendor in the registry. The README
 * quotes them.
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
