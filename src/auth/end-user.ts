import { base64url, type JWTPayload, type JWTVerifyOptions, jwtVerify } from "jose";
import type { AuthConfig } from "../config";
import { JWT_CLOCK_TOLERANCE_SECONDS, MAX_AUDIT_CLAIM_CHARS, MAX_CLIENT_REF_CHARS } from "../constants";
import { cachedKeySet, type KeySetDeps } from "./key-set";
import { unauthenticated, verificationFailure } from "./refusal";
import type { JwksAlgorithm } from "./providers/types";

export interface EndUser {
  /** The `CLIENT_REF_CLAIM` value, or its pseudonym when `CLIENT_REF_SECRET` is set. */
  clientRef: string;
  /** `iss` and `sub` for the audit record: strings of at most MAX_AUDIT_CLAIM_CHARS characters, else null. */
  issuer: string | null;
  subject: string | null;
  /** Every claim of the verified token, for policy claim gates; never logged or stored. */
  claims: JWTPayload;
}

/**
 * Algorithms are pinned per mode and never taken from the token header. A preset
 * (`AUTH_PROVIDER`) narrows the JWKS ones to those its provider signs with.
 */
const JWKS_ALGORITHMS: readonly JwksAlgorithm[] = ["RS256", "ES256", "EdDSA"];
const HS256_ALGORITHMS = ["HS256"];

export async function authenticateEndUser(
  authorization: string | undefined,
  config: AuthConfig,
  deps: KeySetDeps,
): Promise<EndUser> {
  const token = bearerToken(authorization);
  const options: JWTVerifyOptions = {
    issuer: config.issuer,
    audience: config.audience,
    clockTolerance: JWT_CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ["exp"],
    currentDate: deps.now(),
  };
  let payload: JWTPayload;
  try {
    const result =
      config.mode === "jwks"
        ? await jwtVerify(token, cachedKeySet(config.jwksUrl, deps), {
            ...options,
            algorithms: [...(config.algorithms ?? JWKS_ALGORITHMS)],
          })
        : await jwtVerify(token, config.secret, { ...options, algorithms: HS256_ALGORITHMS });
    payload = result.payload;
  } catch (error) {
    throw verificationFailure(error);
  }
  // What jose does not know: the preset's own claims, among them the stand-in for a missing `aud`.
  const refusal = config.checkClaims?.(payload, deps.now());
  if (refusal) throw unauthenticated(refusal.message, refusal.internal);

  const claimed = payload[config.clientRefClaim];
  if (typeof claimed !== "string" || claimed === "" || claimed.length > MAX_CLIENT_REF_CHARS) {
    throw unauthenticated(
      `token claim "${config.clientRefClaim}" must be a non-empty string of at most ${MAX_CLIENT_REF_CHARS} characters`,
      "client ref claim missing or invalid",
    );
  }
  const clientRef =
    config.clientRefSecret === undefined
      ? claimed
      : await pseudonym(config.clientRefSecret, typeof payload.iss === "string" ? payload.iss : "", claimed);
  return { clientRef, issuer: auditClaim(payload.iss), subject: auditClaim(payload.sub), claims: payload };
}

/** Characters of the HMAC's base64url kept in a pseudonym: 132 bits. */
const PSEUDONYM_HASH_CHARS = 22;

/** HMAC keys by secret, imported once per isolate. */
const pseudonymKeys = new Map<string, Promise<CryptoKey>>();

/**
 * `u_` + the first 22 characters of base64url(HMAC-SHA256(secret, pseudonymInput)):
 * stable per user, so quotas, the denylist and the audit trail still work, yet
 * vendors never see the app's own user ids. A token without a string `iss`
 * counts as issuer "".
 */
async function pseudonym(secret: string, issuer: string, value: string): Promise<string> {
  let key = pseudonymKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    pseudonymKeys.set(secret, key);
  }
  const mac = await crypto.subtle.sign("HMAC", await key, new TextEncoder().encode(pseudonymInput(issuer, value)));
  return `u_${base64url.encode(new Uint8Array(mac)).slice(0, PSEUDONYM_HASH_CHARS)}`;
}

/**
 * `issuer|value`, with each `\` and `|` in the issuer preceded by a `\`: the first
 * unescaped `|` ends the issuer, so no two (issuer, value) pairs share an input
 * (unescaped, ("A|x", "y") and ("A", "x|y") did). An issuer with neither character,
 * as issuer URLs are, keeps the input and so the pseudonym it always had.
 */
function pseudonymInput(issuer: string, value: string): string {
  return `${issuer.replace(/[\\|]/g, "\\$&")}|${value}`;
}

/** A claim is kept for the audit record only when it is a short string; the token is the caller's to shape. */
function auditClaim(value: unknown): string | null {
  return typeof value === "string" && value.length <= MAX_AUDIT_CLAIM_CHARS ? value : null;
}

function bearerToken(authorization: string | undefined): string {
  if (!authorization) throw unauthenticated("missing Authorization header", "no authorization header");
  const match = /^(\S+)\s+(\S+)$/.exec(authorization.trim());
  if (!match || match[1]?.toLowerCase() !== "bearer") {
    throw unauthenticated('Authorization header must use the "Bearer" scheme', "wrong scheme");
  }
  return match[2] as string;
}
