import * as z from "zod/mini";
import type { Connect } from "../vendors/connect";
import { adapterFor } from "../vendors/registry";
import type { TtlRange } from "../vendors/types";
import { allowedBy } from "./rules";
import type { OptionRule, VendorPolicy } from "./types";
import { isList, type OptionSchema, optionSchemas } from "./vendor-options";

/** One entry of `GET /v1/vendors`: what this caller may ask of the vendor under the policy. */
export interface VendorListing {
  id: string;
  ttl_seconds: TtlRange;
  /** What the credential allows: single or multiple use, session caps, fixed life. */
  credential: string;
  /** JSON Schema per option, narrowed by the policy. */
  options: Record<string, OptionSchema>;
  /** How a client presents a key minted with the default options (as the policy leaves them). */
  connect: Connect;
}

/**
 * The vendor as the policy leaves it: the effective TTL range, and each
 * option's JSON Schema narrowed to `const` (forced; also its default),
 * `enum` (an allowed set; the default is dropped when not in it) or
 * `minimum`/`maximum` (a range).
 */
export function vendorListing(policy: VendorPolicy, settings: unknown): VendorListing {
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
    connect: adapterFor(policy.vendor).connect(settings, listedOptions(policy)),
  };
}

/**
 * The options a body without any would get under the policy: the vendor's defaults, with a
 * forced value in place of its default, and an allowed set's first value for a default it excludes.
 */
function listedOptions(policy: VendorPolicy): unknown {
  const adapter = adapterFor(policy.vendor);
  const defaults = z.safeParse(z.object(adapter.fields), {}).data ?? {};
  for (const [name, rule] of Object.entries(policy.options)) {
    if (rule.kind === "force") defaults[name] = rule.value;
    if (rule.kind === "in" && !allowedBy(rule.values, defaults[name])) {
      defaults[name] = Array.isArray(defaults[name]) ? [rule.values[0]] : rule.values[0];
    }
  }
  return defaults;
}

function narrowed(schema: OptionSchema, rule: OptionRule): OptionSchema {
  const result = { ...schema };
  switch (rule.kind) {
    case "force":
      delete result.enum;
      return { ...result, const: rule.value, default: rule.value };
    case "in":
      if (result.default !== undefined && !allowedBy(rule.values, result.default)) delete result.default;
      // A list option's rule narrows the elements it may list.
      if (isList(schema)) return { ...result, items: { ...(result.items as object), enum: [...rule.values] } };
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
