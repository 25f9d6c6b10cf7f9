import { adapterFor } from "../vendors/registry";
import type { TtlRange } from "../vendors/types";
import type { OptionRule, VendorPolicy } from "./types";
import { type OptionSchema, optionSchemas } from "./vendor-options";

/** One entry of `GET /v1/vendors`: what this caller may ask of the vendor under the policy. */
export interface VendorListing {
  id: string;
  ttl_seconds: TtlRange;
  /** What the credential allows: single or multiple use, session caps, fixed life. */
  credential: string;
  /** JSON Schema per option, narrowed by the policy. */
  options: Record<string, OptionSchema>;
}

/**
 * The vendor as the policy leaves it: the effective TTL range, and each
 * option's JSON Schema narrowed to `const` (forced; also its default),
 * `enum` (an allowed set; the default is dropped when not in it) or
 * `minimum`/`maximum` (a range).
 */
export function vendorListing(policy: VendorPolicy): VendorListing {
  const options = optionSchemas(policy.vendor);
  for (const [name, rule] of Object.entries(policy.options)) {
    const schema = options[name];
    if (schema) options[name] = narrowed(schema, rule);
  }
  return {
    id: policy.vendor,
    ttl_seconds: { ...policy.ttl },
    credential: adapterFor(policy.vendor).credential,
    options,
  };
}

function narrowed(schema: OptionSchema, rule: OptionRule): OptionSchema {
  const result = { ...schema };
  switch (rule.kind) {
    case "force":
      delete result.enum;
      return { ...result, const: rule.value, default: rule.value };
    case "in":
      if (result.default !== undefined && !rule.values.includes(result.default as never)) delete result.default;
      return { ...result, enum: [...rule.values] };
    case "range":
      if (rule.min !== undefined) {
        delete result.exclusiveMinimum;
        result.minimum = rule.min;
      }
      if (rule.max !== undefined) {
        delete result.exclusiveMaximum;
        result.maximum = rule.max;
      }
      return result;
  }
}
