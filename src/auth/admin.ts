import type { AccessConfig } from "../config";
import { brokerError } from "../errors";
import { ACCESS_ASSERTION_HEADER, verifyAccessAssertion } from "./access";
import type { KeySetDeps } from "./key-set";
import { unauthenticated } from "./refusal";

/** The operator behind an admin request, as the audit trail and the deny list name them. */
export interface Admin {
  /** The Access identity's email (or `sub`), or ADMIN_TOKEN_ACTOR. */
  actor: string;
}

/** The actor of a request admitted by `ADMIN_TOKEN`, which names no person. */
export const ADMIN_TOKEN_ACTOR = "admin-token";

export interface AdminCredentials {
  /** The `Authorization` header. */
  authorization: string | undefined;
  /** The `Cf-Access-Jwt-Assertion` header. */
  assertion: string | undefined;
}

export interface AdminSettings {
  adminToken: string | undefined;
  access: AccessConfig | undefined;
}

/**
 * Admits a valid Access assertion (when Access is set up) or `Authorization: Bearer <ADMIN_TOKEN>`
 * (when it is set): either credential is enough. A request that sends both is admitted by the
 * assertion when it is valid, so the audit names the person rather than the shared token.
 */
export async function authenticateAdmin(
  { authorization, assertion }: AdminCredentials,
  { adminToken, access }: AdminSettings,
  deps: KeySetDeps,
): Promise<Admin> {
  if (adminToken === undefined && access === undefined) {
    throw brokerError(
      "forbidden",
      "the admin API (audit, denylist) is disabled: set ACCESS_TEAM_DOMAIN and ACCESS_AUD, or ADMIN_TOKEN",
    );
  }
  if (access !== undefined && assertion) {
    try {
      return { actor: await verifyAccessAssertion(assertion, access, deps) };
    } catch (error) {
      // The token can still admit the request; without one, the assertion's refusal is the answer.
      if (adminToken === undefined || !authorization) throw error;
    }
  }
  if (adminToken === undefined) {
    throw unauthenticated(`missing ${ACCESS_ASSERTION_HEADER} header from Cloudflare Access`, "no access assertion");
  }
  await checkAdminToken(authorization, adminToken);
  return { actor: ADMIN_TOKEN_ACTOR };
}

/** Checks `Authorization: Bearer <ADMIN_TOKEN>` without leaking timing about the token. */
async function checkAdminToken(authorization: string | undefined, adminToken: string): Promise<void> {
  const presented = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? "")?.[1];
  if (presented === undefined) {
    throw unauthenticated("missing or malformed admin bearer token", "no admin bearer");
  }
  if (!(await constantTimeEqual(presented, adminToken))) {
    throw unauthenticated("admin token is not valid", "wrong admin token");
  }
}

/** Hashing first gives equal-length inputs, so neither content nor length leaks through timing. */
async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [hashA, hashB] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(hashA, hashB);
}
