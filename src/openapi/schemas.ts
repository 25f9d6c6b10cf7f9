import * as z from "zod/mini";
import { ERROR_CODES, type ErrorCode } from "../errors";
import { type VendorId, vendorIds } from "../vendors/registry";

/** Response shapes, for the OpenAPI document and for tests that hold real responses to it. */

export const errorResponseSchema = z.object({
  error: z.object({
    code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    request_id: z.string(),
  }),
});

export const healthResponseSchema = z.object({ status: z.literal("ok") });

/** Every setting or binding that is wrong, by name; never its value. */
export const degradedResponseSchema = z.object({
  status: z.literal("degraded"),
  problems: z.array(z.object({ variable: z.string(), problem: z.string() })),
});

/** The minted key; the vendor options that were applied come as extra fields. */
export const mintedKeySchema = z.looseObject({
  vendor: z.enum(vendorIds as [VendorId, ...VendorId[]]),
  key: z.string(),
  expires_at: z.iso.datetime(),
  ttl_seconds: z.int(),
  client_ref: z.string(),
  issuance_id: z.string(),
  /** Only for vendors that issue a ready-to-connect URL: the URL, with `key` the credential inside it. */
  url: z.optional(z.string()),
  /** True when the credential opens one connection only (asked for, or the vendor's only kind): never cache or share it. */
  single_use: z.optional(z.boolean()),
});

export const vendorListSchema = z.object({
  vendors: z.array(
    z.object({
      id: z.enum(vendorIds as [VendorId, ...VendorId[]]),
      /** All three equal for a vendor whose credentials live a fixed time. */
      ttl_seconds: z.object({ min: z.int(), max: z.int(), default: z.int() }),
      /** What the credential allows: single or multiple use, session caps, fixed life. */
      credential: z.string(),
      /** JSON Schema of each option the vendor's request body takes. */
      options: z.record(z.string(), z.record(z.string(), z.unknown())),
    }),
  ),
});

const counted = z.object({ mints: z.int(), quota: z.nullable(z.int()) });

export const usageResponseSchema = z.object({
  client_ref: z.string(),
  /** The UTC day counted, `YYYY-MM-DD`. */
  day: z.string(),
  mints: z.int(),
  /** Null when there is no daily quota. */
  quota: z.nullable(z.int()),
  remaining: z.nullable(z.int()),
  /** Vendors the caller minted for today, or that have a daily quota of their own. */
  vendors: z.record(z.string(), counted),
});

export const denyStateSchema = z.object({
  client_ref: z.string(),
  /** True while new keys are refused for this user. */
  denied: z.boolean(),
  reason: z.nullable(z.string()),
  until: z.nullable(z.iso.datetime()),
  since: z.nullable(z.iso.datetime()),
});
