import {
  createRemoteJWKSet,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
} from "jose";
import type { AuthConfig } from "../config";
import { JWT_CLOCK_TOLERANCE_SECONDS, MAX_CLIENT_REF_CHARS } from "../constants";
import { BrokerError, brokerError } from "../errors";

export interface EndUser {
  clientRef: string;
  issuer: string | null;
  subject: string | null;
}

/** Algorithms are pinned per mode and never taken from the token header. */
const JWKS_ALGORITHMS = ["RS256", "ES256", "EdDSA"];
const HS256_ALGORITHMS = ["HS256"];

/**
 * One remote key set per JWKS URL per isolate: jose caches the keys and
 * refetches at most once per cooldown when it meets an unknown `kid`.
 */
const remoteKeySets = new Map<string, JWTVerifyGetKey>();

/** The key set could not be loaded: the identity provider's fault, not the token's. */
class KeySetUnavailable extends Error {
  constructor(readonly reason: string) {
    super("JWKS unavailable");
  }
}

function remoteKeySet(url: URL, timeoutMs: number): JWTVerifyGetKey {
  let keySet = remoteKeySets.get(url.href);
  if (!keySet) {
    const remote = createRemoteJWKSet(url, { timeoutDuration: timeoutMs });
    keySet = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (error) {
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
        // Anything else came from downloading or reading the key set.
        throw new KeySetUnavailable(error instanceof Error ? `${error.name}: ${error.message}` : "unknown");
      }
    };
    remoteKeySets.set(url.href, keySet);
  }
  return keySet;
}

export async function authenticateEndUser(
  authorization: string | undefined,
  config: AuthConfig,
  jwksTimeoutMs: number,
): Promise<EndUser> {
  const token = bearerToken(authorization);
  const options: JWTVerifyOptions = {
    issuer: config.issuer,
    audience: config.audience,
    clockTolerance: JWT_CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ["exp"],
  };
  let payload: JWTPayload;
  try {
    const result =
      config.mode === "jwks"
        ? await jwtVerify(token, remoteKeySet(config.jwksUrl, jwksTimeoutMs), {
            ...options,
            algorithms: JWKS_ALGORITHMS,
          })
        : await jwtVerify(token, config.secret, { ...options, algorithms: HS256_ALGORITHMS });
    payload = result.payload;
  } catch (error) {
    throw verificationFailure(error);
  }

  const clientRef = payload[config.clientRefClaim];
  if (typeof clientRef !== "string" || clientRef === "" || clientRef.length > MAX_CLIENT_REF_CHARS) {
    throw unauthenticated(
      `token claim "${config.clientRefClaim}" must be a non-empty string of at most ${MAX_CLIENT_REF_CHARS} characters`,
      "client ref claim missing or invalid",
    );
  }
  return { clientRef, issuer: payload.iss ?? null, subject: payload.sub ?? null };
}

function bearerToken(authorization: string | undefined): string {
  if (!authorization) throw unauthenticated("missing Authorization header", "no authorization header");
  const match = /^(\S+)\s+(\S+)$/.exec(authorization.trim());
  if (!match || match[1]?.toLowerCase() !== "bearer") {
    throw unauthenticated('Authorization header must use the "Bearer" scheme', "wrong scheme");
  }
  return match[2] as string;
}

function unauthenticated(message: string, internal: string): BrokerError {
  return brokerError("unauthenticated", message, { internal });
}

/** Maps jose's failures to safe messages; the token itself is never echoed. */
function verificationFailure(error: unknown): BrokerError {
  if (error instanceof errors.JWTExpired) return unauthenticated("token has expired", "exp");
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "iss":
        return unauthenticated("token has the wrong issuer", "iss");
      case "aud":
        return unauthenticated("token has the wrong audience", "aud");
      case "nbf":
        return unauthenticated("token is not valid yet", "nbf");
      case "exp":
        return unauthenticated("token has no expiry (exp)", "exp missing");
      default:
        return unauthenticated(`token claim "${error.claim}" is invalid`, `claim ${error.claim}`);
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return unauthenticated("token signature is invalid", "signature");
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return unauthenticated("token algorithm is not allowed", "alg not allowed");
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return unauthenticated("token was signed by an unknown key", "no matching key");
  }
  if (error instanceof KeySetUnavailable) {
    return brokerError("auth_unavailable", "the identity provider's keys could not be fetched; retry later", {
      internal: error.reason,
    });
  }
  if (error instanceof errors.JOSEError) {
    return unauthenticated("token is malformed or not a valid JWT", error.code);
  }
  return unauthenticated("token is malformed or not a valid JWT", "unparseable");
}
