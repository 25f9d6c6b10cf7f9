import { misconfigured } from "../../errors";
import { audienceIncludes, badParameter, type IdentityProvider, refuse } from "./types";

/**
 * Amazon Cognito user pool tokens: RS256, keys at
 * https://cognito-idp.<region>.amazonaws.com/<user pool id>/.well-known/jwks.json,
 * `iss` that URL without the last two segments. `AUTH_AUDIENCE` is the app client id,
 * and both kinds of token Amplify's `fetchAuthSession()` returns are accepted:
 *
 * - an access token (`token_use` "access") has no `aud`; its `client_id` must be the app client;
 * - an ID token (`token_use` "id") has `aud`, which must be the app client.
 *
 * Any other `token_use` is refused, so no token gets through on `iss` alone.
 *
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html
 */

/** An AWS region, like us-east-1 or ap-southeast-2. */
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/** `<region>_<id>`, as the console shows it. */
const USER_POOL_ID = /^([a-z0-9-]+)_[0-9A-Za-z]{1,32}$/;

const USAGE = "AUTH_PROVIDER cognito:<region>/<user pool id>";

export const cognito = {
  name: "Amazon Cognito",
  usage: "cognito:<region>/<user pool id>",
  sharedSecret: false,
  derive({ parameter, audience }) {
    const [region = "", poolId = "", ...rest] = parameter.split("/");
    if (rest.length > 0 || !REGION.test(region)) {
      throw badParameter(`${USAGE} needs an AWS region, like us-east-1, then a slash and the user pool id`);
    }
    if (region.startsWith("cn-")) {
      throw badParameter(`${USAGE} does not cover the China regions: set AUTH_JWKS_URL and AUTH_ISSUER instead`);
    }
    const pool = USER_POOL_ID.exec(poolId);
    if (!pool) throw badParameter(`${USAGE} needs the user pool id after the slash, like us-east-1_AbCdEf123`);
    if (pool[1] !== region) throw badParameter(`${USAGE}: the user pool id does not start with the region's name`);
    if (audience === undefined) {
      throw misconfigured(
        "AUTH_AUDIENCE",
        `${USAGE} needs AUTH_AUDIENCE, the id of the user pool's app client that your app signs in with`,
      );
    }
    const issuer = `https://cognito-idp.${region}.amazonaws.com/${poolId}`;
    return {
      jwksUrl: `${issuer}/.well-known/jwks.json`,
      issuer,
      algorithms: ["RS256"],
      checkClaims(payload) {
        switch (payload.token_use) {
          case "access":
            if (payload.client_id === audience) return undefined;
            return refuse("token was issued to another app client (client_id)", "cognito client_id");
          case "id":
            if (audienceIncludes(payload.aud, audience)) return undefined;
            return refuse("token has the wrong audience", "cognito aud");
          default:
            return refuse('token claim "token_use" must be "access" or "id"', "cognito token_use");
        }
      },
    };
  },
} satisfies IdentityProvider;
