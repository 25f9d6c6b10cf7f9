import * as z from "zod/mini";
import type { VendorId } from "./registry";
import type { AppliedOptions, VendorAdapter } from "./types";

const requestSchemas = new Map<VendorId, z.ZodMiniType>();

/**
 * The body of `POST /v1/keys/{vendor}`: `ttl_seconds` plus the vendor's own
 * fields. Unknown fields, `client_ref` among them, are rejected. The same
 * schema validates requests and generates the OpenAPI document.
 */
export function requestSchema(vendorId: VendorId, adapter: VendorAdapter) {
  let schema = requestSchemas.get(vendorId);
  if (!schema) {
    const { min, max } = adapter.ttl;
    const range =
      min === max
        ? `ttl_seconds must be ${min} or left out: ${vendorId} credentials live a fixed ${min} seconds`
        : `ttl_seconds must be an integer from ${min} to ${max} for ${vendorId}`;
    schema = z.strictObject({
      ttl_seconds: z.optional(z.int().check(z.minimum(min, range), z.maximum(max, range))),
      ...adapter.fields,
    });
    requestSchemas.set(vendorId, schema);
  }
  return schema as z.ZodMiniType<{ ttl_seconds?: number } & AppliedOptions>;
}
