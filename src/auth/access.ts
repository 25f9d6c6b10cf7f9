import { jwtVerify } from "jose";
import type { AccessConfig } from "../config";
import { JWT_CLOCK_TOLERANCE_SECONDS, MAX_AUDIT_CLAIM_CHARS } from "../constants";
import { brokerError } from "../errors";
import { cachedKeySet, type KeySetDeps, KeySetUnavailable } from "./key-set";
import { unauthenticated, verificationFailure } from "./refusal";

/** The header Cloudflare Access adds to every request it lets through to the application. */
export const ACCESS_ASSERTION_HEADER = "Cf-Access-Jwt-Assertion";

/** Access signs its application tokens with RS256 only; anything else in the header is refused. */
const ACCESS_ALGORITHMS = ["RS256"];

/**
 * Verifies an Access application token against the team's key set (cached as the
 * end-user key set is, per URL) with issuer, audience and algorithm pinned, and
 * returns who it names: its `email`, or its `sub` when it has no email.
 */
export async function verifyAccessAssertion(
  assertion: string,
  access: AccessConfig,
  deps: KeySetDeps,
): Promise<string> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(assertion, cachedKeySet(access.jwksUrl, deps), {
      issuer: access.issuer,
      audience: access.audience,
      algorithms: ACCESS_ALGORITHMS,
      clockTolerance: JWT_CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ["exp"],
      currentDate: deps.now(),
    }));
  } catch (error) {
    if (error instanceof KeySetUnavailable) {
      throw brokerError("auth_unavailable", "Cloudflare Access's keys could not be fetched; retry later", {
        internal: `access: ${error.reason}`,
      });
    }
    throw verificationFailure(error);
  }
  const actor = identity(payload.email) ?? identity(payload.sub);
  if (actor === undefined) {
    throw unauthenticated(
      `the Access token must name its user in "email" or "sub", in at most ${MAX_AUDIT_CLAIM_CHARS} characters`,
      "access identity missing",
    );
  }
  return actor;
}

/** A claim usable as the actor of an audit record: a non-empty string short enough to keep whole. */
function identity(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" && value.length <= MAX_AUDIT_CLAIM_CHARS ? value : undefined;
}
