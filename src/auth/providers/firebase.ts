import type { JWTPayload } from "jose";
import { badParameter, type IdentityProvider, isPastTime, refuse, refuseAnonymous } from "./types";

/**
 * Firebase Auth ID tokens (`user.getIdToken()`): RS256, signed by Google's
 * `securetoken` keys, `iss` https://securetoken.google.com/<project id>, `aud` the
 * project id, `sub` the user's uid (non-empty), and `iat` and `auth_time` in the past.
 * The JWK form of the x509 certificates the page names is Google's JWKS below.
 * An anonymous sign-in (`firebase.sign_in_provider` "anonymous") is refused unless
 * `AUTH_ALLOW_ANONYMOUS` is true.
 *
 * @see https://firebase.google.com/docs/auth/admin/verify-id-tokens#verify_id_tokens_using_a_third-party_jwt_library
 * @see https://firebase.google.com/docs/auth/web/anonymous-auth
 */
const JWKS_URL = "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com";
const ISSUER_PREFIX = "https://securetoken.google.com/";

/** A Google Cloud project id: 6 to 30 lowercase letters, digits or hyphens, starting with a letter, not ending with a hyphen. */
const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

export const firebase = {
  name: "Firebase Auth",
  usage: "firebase:<project id>",
  sharedSecret: false,
  derive({ parameter, audience, allowAnonymous }) {
    if (!PROJECT_ID.test(parameter)) {
      throw badParameter(
        "AUTH_PROVIDER firebase:<project id> needs the Firebase project id (6 to 30 lowercase letters, digits and hyphens, as in Project settings), not its name or number",
      );
    }
    return {
      jwksUrl: JWKS_URL,
      issuer: `${ISSUER_PREFIX}${parameter}`,
      algorithms: ["RS256"],
      audience: audience ?? parameter,
      checkClaims(payload, now) {
        const { sub } = payload;
        if (typeof sub !== "string" || sub === "") {
          return refuse('token claim "sub" (the Firebase uid) must be a non-empty string', "firebase sub");
        }
        if (!isPastTime(payload.iat, now)) return refuse('token claim "iat" must be in the past', "firebase iat");
        if (!isPastTime(payload.auth_time, now)) {
          return refuse('token claim "auth_time" must be in the past', "firebase auth_time");
        }
        if (!allowAnonymous && isAnonymousSignIn(payload)) return refuseAnonymous("firebase");
        return undefined;
      },
    };
  },
} satisfies IdentityProvider;

/** Firebase names how the user signed in under `firebase.sign_in_provider`. */
function isAnonymousSignIn(payload: JWTPayload): boolean {
  const { firebase } = payload;
  return (
    typeof firebase === "object" &&
    firebase !== null &&
    (firebase as Record<string, unknown>).sign_in_provider === "anonymous"
  );
}
