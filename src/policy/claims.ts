import type { JWTPayload } from "jose";
import { brokerError } from "../errors";
import type { VendorId } from "../vendors/registry";
import type { ClaimRule } from "./types";

/**
 * One name in a claim path: letters, digits, `_`, `-` and `:` as they are
 * (`plan`, `cognito:groups`), or anything but `]` inside square brackets
 * (`[https://example.com/plan]`), for a name that holds a dot or a slash.
 */
const CLAIM_NAME = /\[([^\]]+)\]|([A-Za-z0-9_:-]+)/y;

/** What `require_claim.claim` must be, for the POLICY error; never quotes the value. */
export const CLAIM_PATH_RULE =
  "must be a claim name, or a path of names joined by dots (firebase.sign_in_provider); a name with any character but letters, digits, _, - and : goes in square brackets ([https://example.com/plan])";

/**
 * The names along `text`, a `require_claim.claim`: `firebase.sign_in_provider`
 * is the claim `firebase`, then its member `sign_in_provider`. Undefined when
 * `text` is not such a path.
 */
export function parseClaimPath(text: string): string[] | undefined {
  const names: string[] = [];
  let at = 0;
  for (;;) {
    CLAIM_NAME.lastIndex = at;
    const match = CLAIM_NAME.exec(text);
    if (!match) return undefined;
    names.push((match[1] ?? match[2]) as string);
    at = CLAIM_NAME.lastIndex;
    if (at === text.length) return names;
    if (text[at] !== ".") return undefined;
    at += 1;
  }
}

/** The value at `path`, through objects only (never an array's index or an inherited property). */
function claimAt(claims: JWTPayload, path: readonly string[]): unknown {
  let value: unknown = claims;
  for (const name of path) {
    if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.hasOwn(value, name)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}

/**
 * True when the verified token satisfies the vendor's claim gate (or it has
 * none): the claim at the rule's path equals one of the allowed values,
 * compared strictly (the string "1" is not the number 1), or, when the claim is
 * an array, one of its elements does.
 */
export function passesClaimGate(rule: ClaimRule | undefined, claims: JWTPayload): boolean {
  if (rule === undefined) return true;
  // POLICY refuses a claim that is not a path, so `path` is undefined for no rule in force.
  const path = parseClaimPath(rule.claim);
  const value = path === undefined ? undefined : claimAt(claims, path);
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
