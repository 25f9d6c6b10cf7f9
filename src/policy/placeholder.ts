import * as z from "zod/mini";
import { brokerError } from "../errors";
import type { VendorId } from "../vendors/registry";
import type { AppliedOptions, OptionValue } from "../vendors/types";
import type { OptionRule, VendorPolicy } from "./types";

/**
 * A `POLICY` string value (forced or allowed) may hold `{client_ref}`, which
 * stands for the verified user's client_ref: `"room": {"force": "user-{client_ref}"}`
 * gives every user a room of their own. Nothing else in a value is special.
 */
export const CLIENT_REF_PLACEHOLDER = "{client_ref}";

/** What `{client_ref}` stands for when `POLICY` is checked, before any user is known. */
export const SAMPLE_CLIENT_REF = "user";

/** The value with each `{client_ref}` replaced; split and join, since a replacement string would read `$&` in it. */
export function withClientRef<T extends OptionValue>(value: T, clientRef: string): T {
  return (typeof value === "string" ? value.split(CLIENT_REF_PLACEHOLDER).join(clientRef) : value) as T;
}

function holdsPlaceholder(rule: OptionRule): boolean {
  const values: readonly OptionValue[] = rule.kind === "force" ? [rule.value] : rule.kind === "in" ? rule.values : [];
  return values.some((value) => typeof value === "string" && value.includes(CLIENT_REF_PLACEHOLDER));
}

/** Whether any option rule of the policy derives a value from the user. */
export function derivesFromUser(policy: VendorPolicy): boolean {
  return Object.values(policy.options).some(holdsPlaceholder);
}

/** The policy as it applies to one user; the same object when no rule derives a value from the user. */
export function policyForUser(policy: VendorPolicy, clientRef: string): VendorPolicy {
  if (!derivesFromUser(policy)) return policy;
  const options: Record<string, OptionRule> = {};
  for (const [name, rule] of Object.entries(policy.options)) {
    if (rule.kind === "force") options[name] = { kind: "force", value: withClientRef(rule.value, clientRef) };
    else if (rule.kind === "in")
      options[name] = { kind: "in", values: rule.values.map((v) => withClientRef(v, clientRef)) };
    else options[name] = rule;
  }
  return { ...policy, options };
}

/**
 * A forced value made from a client_ref may break the option's own rules (a
 * character a room name may not hold, a length): the user then gets
 * `403 forbidden`, as the policy leaves them no value to mint with. A value
 * the client sent was checked against those rules already.
 */
export function refuseInvalidDerivedValues(
  vendor: VendorId,
  policy: VendorPolicy,
  fields: Record<string, z.ZodMiniType>,
  options: AppliedOptions,
): void {
  for (const [name, rule] of Object.entries(policy.options)) {
    const field = fields[name];
    if (rule.kind !== "force" || !holdsPlaceholder(rule) || field === undefined) continue;
    if (!z.safeParse(field, options[name]).success) {
      throw brokerError(
        "forbidden",
        `forbidden by policy: the ${name} this broker's policy for ${vendor} derives from your client_ref is not a valid ${name}`,
      );
    }
  }
}
