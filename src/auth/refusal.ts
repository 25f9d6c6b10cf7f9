import { errors } from "jose";
import { BrokerError, brokerError } from "../errors";
import { KeySetUnavailable } from "./key-set";

/** A refused credential: a safe message for the caller, and the reason for the log line. */
export function unauthenticated(message: string, internal: string): BrokerError {
  return brokerError("unauthenticated", message, { internal });
}

/** Maps jose's failures, for end-user tokens and Access assertions alike, to safe messages; the token itself is never echoed. */
export function verificationFailure(error: unknown): BrokerError {
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
