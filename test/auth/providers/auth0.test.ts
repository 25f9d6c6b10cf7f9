import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../../src/env";
import { expectError, uniqueUser } from "../../helpers/broker";
import { nowSeconds, PRESET_ONLY, ProviderKeys, refusal, withToken } from "./provider-keys";

const DOMAIN = "keys-demo.eu.auth0.com";
const API = "https://api.keys-demo.example";
/** Auth0's kids are base64url of a hex thumbprint. */
const KID = "QzE4N0Q2MkVBQjBGMjk0RkE3MEYwNEZEMzQ5MzlGMUY1MzlCMjc5OQ";

let keys: ProviderKeys;
let env: Partial<Env>;

beforeAll(async () => {
  keys = await ProviderKeys.publish({ alg: "RS256", kid: KID });
  env = { ...PRESET_ONLY, AUTH_PROVIDER: `auth0:${DOMAIN}`, AUTH_AUDIENCE: API, AUTH_JWKS_URL: keys.jwksUrl };
});

/** An access token from `getAccessTokenSilently({ authorizationParams: { audience: API } })`. */
function accessTokenClaims(user: string): Record<string, unknown> {
  const now = nowSeconds();
  return {
    iss: `https://${DOMAIN}/`,
    sub: `auth0|${user}`,
    aud: [API, `https://${DOMAIN}/userinfo`],
    iat: now,
    exp: now + 86_400,
    scope: "openid profile email",
    azp: "Xb8mC2v1QpL0sD9fG7hJ6kR5tY4uI3oE",
  };
}

describe("AUTH_PROVIDER=auth0:<tenant domain>", () => {
  it("accepts an access token for the API, shaped like Auth0's", async () => {
    const token = await keys.sign(KID, accessTokenClaims(uniqueUser("a0")));
    expect((await withToken(token, env)).status).toBe(200);
  });

  it.each([
    [
      "an audience of userinfo only (a token for no API)",
      { aud: `https://${DOMAIN}/userinfo` },
      "token has the wrong audience",
    ],
    ["another API's audience", { aud: "https://api.other.example" }, "token has the wrong audience"],
    ["an issuer without the trailing slash", { iss: `https://${DOMAIN}` }, "token has the wrong issuer"],
    ["another tenant's issuer", { iss: "https://other-tenant.eu.auth0.com/" }, "token has the wrong issuer"],
  ])("refuses the same token with %s", async (_case, change, message) => {
    const token = await keys.sign(KID, { ...accessTokenClaims(uniqueUser("a0")), ...change });
    const error = await expectError(await withToken(token, env), 401, "unauthenticated");
    expect(error.message).toBe(message);
  });

  it.each([
    ["client-credentials", "client-credentials"],
    ["a list holding client-credentials", ["client-credentials"]],
  ])("refuses a machine-to-machine token (gty %s) for the same API, never logging it", async (_case, gty) => {
    const clientId = "Xb8mC2v1QpL0sD9fG7hJ6kR5tY4uI3oE";
    const token = await keys.sign(KID, {
      iss: `https://${DOMAIN}/`,
      sub: `${clientId}@clients`,
      aud: API,
      iat: nowSeconds(),
      exp: nowSeconds() + 86_400,
      azp: clientId,
      gty,
    });
    expect(await refusal(token, env)).toEqual({
      message: 'token is a machine-to-machine token (gty "client-credentials"), not a user\'s',
      reason: "auth0 client-credentials",
    });
  });

  it.each([["password"], [["refresh_token", "password"]]])("accepts a user's token with gty %j", async (gty) => {
    const token = await keys.sign(KID, { ...accessTokenClaims(uniqueUser("a0")), gty });
    expect((await withToken(token, env)).status).toBe(200);
  });

  it("is misconfigured without AUTH_AUDIENCE, naming it", async () => {
    const token = await keys.sign(KID, accessTokenClaims(uniqueUser("a0")));
    const error = await expectError(await withToken(token, { ...env, AUTH_AUDIENCE: undefined }), 500, "misconfigured");
    expect(error.message).toContain("AUTH_AUDIENCE");
  });
});
