import type { z } from "zod/mini";
import type { VarReader } from "../config";
import type { Setting } from "../env";
import type { Connect } from "./connect";
import type { ReadVendorFailure, SendToVendor } from "./upstream";

/** One option's value: a scalar, or a set of strings (Cartesia's `grants`). */
export type OptionValue = string | number | boolean | readonly string[];

/** Values an adapter reports as applied; echoed in the response and stored in the audit. */
export type AppliedOptions = Record<string, OptionValue | undefined>;

export interface TtlRange {
  min: number;
  max: number;
  default: number;
}

export interface MintInput<Settings, Options> {
  settings: Settings;
  /** The vendor's own body fields, validated and with defaults applied. */
  options: Options;
  ttlSeconds: number;
  /** The verified end user; never taken from the request body. */
  clientRef: string;
  /** `CF-Connecting-IP`, when the platform supplied one. */
  callerIp: string | undefined;
  now: Date;
  send: SendToVendor;
}

export interface MintedKey {
  /** The credential; for a vendor that issues a URL, the credential inside it. Fingerprinted in the audit. */
  key: string;
  /** A ready-to-connect URL carrying the credential (ElevenLabs agents); as secret as the key, never logged or audited. */
  url?: string;
  /** When the vendor says the key expires; null when it says the key never does. */
  expiresAt: Date | null;
  applied: AppliedOptions;
  /** The vendor's id for the credential, when it has one (kept in the audit). */
  vendorKeyId?: string;
}

/**
 * One vendor. Adding a vendor means one file implementing this, one line in
 * the registry, and its tests.
 */
export interface VendorAdapter<Settings = unknown, Options = unknown> {
  /** Human-readable vendor name used in messages. */
  readonly name: string;
  /** The TTL range; min, max and default are all equal for a vendor whose credentials live a fixed time. */
  readonly ttl: TtlRange;
  /** What the credential allows, in a sentence, for `GET /v1/vendors` (single or multiple use, session caps, fixed life). */
  readonly credential: string;
  /** The vars holding this vendor's secrets, so that no vendor text shown to a caller can quote them. */
  readonly secretVars: readonly Setting[];
  /** The vendor's request-body fields besides `ttl_seconds`. */
  readonly fields: Record<string, z.ZodMiniType>;
  /**
   * Rules a per-field schema cannot express (between fields, or against the
   * TTL: Gemini's new_session_seconds); returns a message when one is broken.
   */
  checkOptions?(options: Options, ttlSeconds: number): string | undefined;
  /**
   * Rules against the operator's settings (AceData's amount cap); returns a
   * message when one is broken. A client's value breaking it is `400`; a value
   * forced by `POLICY` breaking it is the operator's to fix (`/healthz` says so).
   */
  checkSettings?(options: Options, settings: Settings): string | undefined;
  /**
   * Whether an option means anything alongside the others (ElevenLabs' `agent_id`
   * only with `kind: "agent"`). A policy rule on an option that does not apply,
   * and was not sent, is skipped. Unset: every option always applies.
   */
  optionApplies?(name: string, options: Options): boolean;
  /**
   * Refusals that depend on the caller (AmiVoice's IP binding rule, Twilio Voice's
   * identity characters): throws a `BrokerError` before any rate limit, quota or vendor call.
   */
  checkCaller?(options: Options, settings: Settings, caller: { ip: string | undefined; clientRef: string }): void;
  /**
   * Reads credentials and base URL. Undefined when the vendor's secret is unset
   * (the vendor is disabled); throws `misconfigured` when settings are invalid.
   */
  settings(vars: VarReader): Settings | undefined;
  readFailure: ReadVendorFailure;
  /**
   * How a client presents a credential minted with these settings and options:
   * the answer's `connect`, and in `GET /v1/vendors` the default options' (src/vendors/connect.ts).
   * It names places only, never a secret.
   */
  connect(settings: Settings, options: Options): Connect;
  mint(input: MintInput<Settings, Options>): Promise<MintedKey>;
}
