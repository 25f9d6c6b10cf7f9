import { BrokerError } from "../errors";
import { UserDenied } from "../user-state/client";

/** The vendor failures, each counted under its own error code. */
const VENDOR_OUTCOMES = [
  "upstream_error",
  "upstream_rejected",
  "upstream_auth_failed",
  "upstream_rate_limited",
  "upstream_timeout",
  "vendor_credential_refused",
] as const;

/** Every label a finished mint request is counted under (docs/api.md, "Counts"). */
export const MINT_OUTCOMES = [
  "issued",
  ...VENDOR_OUTCOMES,
  "refused_quota",
  "refused_deny",
  "refused_policy",
  "refused_burst",
  "refused_invalid",
  "error",
] as const;

export type MintOutcome = (typeof MINT_OUTCOMES)[number];

const vendorOutcomes: ReadonlySet<string> = new Set(VENDOR_OUTCOMES);

/**
 * The label of a finished mint request, from its status and the error it was answered with.
 * Every `403` on the mint path other than a deny is a rule the operator set: POLICY (a disabled
 * vendor, an option rule, a claim gate, a derived value) or a vendor setting such as AmiVoice's
 * IP binding.
 */
export function mintOutcome(status: number, error: unknown): MintOutcome {
  if (status < 400) return "issued";
  const code = error instanceof BrokerError ? error.code : undefined;
  if (code !== undefined && vendorOutcomes.has(code)) return code as MintOutcome;
  switch (code) {
    case "quota_exceeded":
      return "refused_quota";
    case "rate_limited":
      return "refused_burst";
    case "forbidden":
      return error instanceof UserDenied ? "refused_deny" : "refused_policy";
  }
  return status < 500 ? "refused_invalid" : "error";
}
