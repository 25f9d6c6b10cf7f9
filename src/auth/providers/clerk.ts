import type { JWTPayload } from "jose";
import { badParameter, type ClaimCheck, type ClaimRefusal, type IdentityProvider, isHostName, refuse } from "./types";

/**
 * Clerk session tokens (`session.getToken()`): RS256, keys at
 * https://<frontend API host>/.well-known/jwks.json, `iss` https://<frontend API host>.
 * They carry no `aud`; `azp` is the origin of the page that asked for the token, and
 * takes the audience's place: it must be one of `ALLOWED_ORIGINS`.
 *
 * - Without `AUTH_AUDIENCE`, a token must carry `azp`, and `ALLOWED_ORIGINS` must not
 *   be empty: with nothing to compare it with, the preset would check nothing, so it
 *   is a configuration error instead.
 * - With `AUTH_AUDIENCE` (a JWT template that sets `aud`), `aud` is checked as well,
 *   and `azp`, when the token has one, must still be an allowed origin. Clerk leaves
 *   `azp` out when the request had no `Origin` (native apps).
 *
 * A token whose session status (`sts`) is anything but "active" is refused: a
 * "pending" session has signed in but not finished its tasks (choosing an
 * organization, say), and Clerk's own SDKs treat it as signed out.
 *
 * @see https://clerk.com/docs/guides/sessions/manual-jwt-verification
 * @see https://clerk.com/docs/guides/sessions/session-tokens
 * @see https://clerk.com/docs/reference/javascript/types/session-status
 */
export const clerk = {
  name: "Clerk",
  usage: "clerk:<frontend API host>",
  sharedSecret: false,
  derive({ parameter, audience, allowedOrigins: readAllowedOrigins }) {
    if (!isHostName(parameter)) {
      throw badParameter(
        "AUTH_PROVIDER clerk:<frontend API host> needs the Frontend API host as a bare host, like clerk.example.com or my-app-12.clerk.accounts.dev, without https:// or a path",
      );
    }
    const allowedOrigins = readAllowedOrigins();
    const settings = { jwksUrl: `https://${parameter}/.well-known/jwks.json`, issuer: `https://${parameter}` };
    if (audience !== undefined) {
      return { ...settings, algorithms: ["RS256"], audience, checkClaims: sessionToken(allowedOrigins, false) };
    }
    if (allowedOrigins.size === 0) {
      throw badParameter(
        "AUTH_PROVIDER clerk:<frontend API host> checks each token's azp (the page's origin) against ALLOWED_ORIGINS, which is empty: set ALLOWED_ORIGINS to your app's origins, or AUTH_AUDIENCE when a Clerk JWT template sets aud",
      );
    }
    return { ...settings, algorithms: ["RS256"], checkClaims: sessionToken(allowedOrigins, true) };
  },
} satisfies IdentityProvider;

/** An active session's token, made for an allowed origin (`azpRequired`: when nothing else says who it was made for). */
function sessionToken(allowedOrigins: ReadonlySet<string>, azpRequired: boolean): ClaimCheck {
  return (payload) => activeSession(payload) ?? authorizedParty(payload, allowedOrigins, azpRequired);
}

/** A token without `sts` (version 1) predates pending sessions, so its session is active. */
function activeSession(payload: JWTPayload): ClaimRefusal | undefined {
  if (payload.sts === undefined || payload.sts === "active") return undefined;
  return refuse('token is from a session that is not active (claim "sts"): Clerk treats it as signed out', "clerk sts");
}

/** `azp` must be an allowed origin; `required` when nothing else says who the token was made for. */
function authorizedParty(
  payload: JWTPayload,
  allowedOrigins: ReadonlySet<string>,
  required: boolean,
): ClaimRefusal | undefined {
  const { azp } = payload;
  if (azp === undefined && !required) return undefined;
  if (typeof azp !== "string" || !allowedOrigins.has(azp)) {
    return refuse("token was made for an origin that is not allowed (azp)", "clerk azp");
  }
  return undefined;
}
