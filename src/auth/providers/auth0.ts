import { misconfigured } from "../../errors";
import { badParameter, type IdentityProvider, isHostName } from "./types";

/**
 * Auth0 access tokens for your API (`getAccessTokenSilently()` with
 * `authorizationParams.audience`): RS256, keys at https://<domain>/.well-known/jwks.json,
 * `iss` https://<domain>/ (with the trailing slash), and `aud` the API's identifier,
 * which only the operator knows: `AUTH_AUDIENCE` is required.
 *
 * @see https://auth0.com/docs/secure/tokens/access-tokens/validate-access-tokens
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
    };
  },
} satisfies IdentityProvider;
