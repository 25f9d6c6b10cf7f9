import { misconfigured } from "../../errors";
import type { JWTPayload } from "jose";
import { badParameter, type IdentityProvider, isHostName, refuse } from "./types";

/**
 * Auth0 access tokens for your API (`getAccessTokenSilently()` with
 * `authorizationParams.audience`): RS256, keys at https://<domain>/.well-known/jwks.json,
 * `iss` https://<domain>/ (with the trailing slash), and `aud` the API's identifier,
 * which only the operator knows: `AUTH_AUDIENCE` is required.
 *
 * A machine-to-machine token (`gty` "client-credentials", from an application's own
 * client id and secret) is refused: it is no end user's, so it has no quota of its own.
 *
 * @see https://auth0.com/docs/secure/tokens/access-tokens/validate-access-tokens
 * @see https://auth0.com/docs/get-started/authentication-and-authorization-flow/client-credentials-flow
 * @see https://auth0.com/docs/secure/tokens/json-web-tokens/validate-json-web-tokens
 */
export const auth0 = {
  name: "Auth0",
  usage: "auth0:<tenant domain>",
  sharedSecret: false,
  derive({ parameter, audience }) {
    if (!isHostName(parameter)) {
      throw badParameter(
        "AUTH_PROVIDER auth0:<tenant domain> needs the tenant's domain (or custom domain) as a bare host, like my-tenant.us.auth0.com, without https:// or a path",
      );
    }
    if (audience === undefined) {
      throw misconfigured(
        "AUTH_AUDIENCE",
        "AUTH_PROVIDER auth0:<tenant domain> needs AUTH_AUDIENCE, the identifier of your API in Auth0 (Applications > APIs)",
      );
    }
    return {
      jwksUrl: `https://${parameter}/.well-known/jwks.json`,
      issuer: `https://${parameter}/`,
      algorithms: ["RS256"],
      audience,
      checkClaims(payload) {
        if (!isClientCredentials(payload)) return undefined;
        return refuse(
          'token is a machine-to-machine token (gty "client-credentials"), not a user\'s',
          "auth0 client-credentials",
        );
      },
    };
  },
} satisfies IdentityProvider;

/** `gty`, the grant that issued the token: a string, or a list of them after a refresh. */
function isClientCredentials(payload: JWTPayload): boolean {
  const grants: unknown[] = Array.isArray(payload.gty) ? payload.gty : [payload.gty];
  return grants.includes("client-credentials");
}
