import { badParameter, type ClaimCheck, type IdentityProvider, isHostName, refuse } from "./types";

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
 * @see https://clerk.com/docs/guides/sessions/manual-jwt-verification
 * @see https://clerk.com/docs/guides/sessions/session-tokens
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
      return { ...settings, algorithms: ["RS256"], audience, checkClaims: authorizedParty(allowedOrigins, false) };
    }
    if (allowedOrigins.size === 0) {
      throw badParameter(
        "AUTH_PROVIDER clerk:<frontend API host> checks each token's azp (the page's origin) against ALLOWED_ORIGINS, which is empty: set ALLOWED_ORIGINS to your app's origins, or AUTH_AUDIENCE when a Clerk JWT template sets aud",
      );
    }
    return { ...settings, algorithms: ["RS256"], checkClaims: authorizedParty(allowedOrigins, true) };
  },
} satisfies IdentityProvider;

/** `azp` must be an allowed origin; `required` when nothing else says who the token was made for. */
function authorizedParty(allowedOrigins: ReadonlySet<string>, required: boolean): ClaimCheck {
  return (payload) => {
    const { azp } = payload;
    if (azp === undefined && !required) return undefined;
    if (typeof azp !== "string" || !allowedOrigins.has(azp)) {
      return refuse("token was made for an origin that is not allowed (azp)", "clerk azp");
    }
    return undefined;
  };
}
