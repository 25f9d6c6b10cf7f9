import type { JWTPayload } from "jose";
import { brokerError } from "../errors";
import type { VendorId } from "../vendors/registry";
import type { ClaimRule } from "./types";

/**
 * True when the verified token satisfies the vendor's claim gate (or it has
 * none): the claim equals one of the allowed values, compared strictly (the
 * string "1" is not the number 1), or, when the claim is an array, one of its
 * elements does.
 */
export function passesClaimGate(rule: ClaimRule | undefined, claims: JWTPayload): boolean {
  if (rule === undefined) return true;
  const value = Object.hasOwn(claims, rule.claim) ? claims[rule.claim] : undefined;
  const candidates: unknown[] = Array.isArray(value) ? value : [value];
  return candidates.some((candidate) => rule.in.some((allowed) => allowed === candidate));
}

/**
 * Refuses a user the vendor's claim gate keeps out. The message names the
 * vendor and the claim, never the claim's value or the values allowed.
 */
export function enforceClaimGate(vendor: VendorId, rule: ClaimRule | undefined, claims: JWTPayload): void {
  if (passesClaimGate(rule, claims)) return;
  throw brokerError(
    "forbidden",
    `${vendor} is not available to this user: this broker's policy requires a token claim "${rule?.claim}" that allows it`,
  );
}
