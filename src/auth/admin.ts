import { brokerError } from "../errors";

/** Checks `Authorization: Bearer <ADMIN_TOKEN>` without leaking timing about the token. */
export async function authenticateAdmin(authorization: string | undefined, adminToken: string | undefined) {
  if (adminToken === undefined) {
    throw brokerError("forbidden", "the admin API (audit, denylist) is disabled: ADMIN_TOKEN is not set");
  }
  const presented = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? "")?.[1];
  if (presented === undefined) {
    throw brokerError("unauthenticated", "missing or malformed admin bearer token");
  }
  if (!(await constantTimeEqual(presented, adminToken))) {
    throw brokerError("unauthenticated", "admin token is not valid");
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
