import type { VendorId } from "../vendors/registry";
import type { OptionValue, TtlRange } from "../vendors/types";

/** A value an option rule or a claim gate may name. */
export type Scalar = string | number | boolean;

/** What the operator's `POLICY` says about one option of one vendor. */
export type OptionRule =
  /** The option always takes this value (for a list option, this set); a client that sends another is refused. */
  | { kind: "force"; value: OptionValue }
  /** The applied value (the client's, or the field's default) must be one of these; for a list option, each element. */
  | { kind: "in"; values: readonly Scalar[] }
  /**
   * The applied number must lie in this inclusive range. Each bound is the
   * policy's, or the vendor's own inclusive bound when the policy leaves it
   * open; undefined when neither sets one.
   */
  | { kind: "range"; min: number | undefined; max: number | undefined };

/** The verified end-user token must carry `claim` with one of `in` (or, for an array claim, contain one). */
export interface ClaimRule {
  claim: string;
  in: readonly Scalar[];
}

/** The effective rules for one vendor: its `POLICY` entry over the `"*"` entry, over the vendor's own rules. */
export interface VendorPolicy {
  vendor: VendorId;
  /** False: the vendor answers `403 forbidden` and is left out of `GET /v1/vendors`. */
  enabled: boolean;
  /** The vendor's TTL range as narrowed by the policy, with the default applied when the client sends none. */
  ttl: TtlRange;
  /** Keys one client_ref may receive from this vendor per UTC day; undefined when the policy sets no limit. */
  dailyQuota: number | undefined;
  /** Rules by option name; options without a rule keep the vendor's own rules. */
  options: Readonly<Record<string, OptionRule>>;
  requireClaim: ClaimRule | undefined;
}

/** The parsed and validated `POLICY` var. */
export interface Policy {
  vendor(id: VendorId): VendorPolicy;
}
